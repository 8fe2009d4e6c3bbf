// `jplink verify --root <root-ca.pem> [--root …] [--json] FILE…`: checks archives and evidence
// files offline (docs/protocols/evidence.md §4). Exit status 0 when nothing is wrong (warnings
// allowed), 1 when a problem was found, 2 for bad usage.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatFinding, rootCertificatesFromPem, verifyEvidence, type Report } from '@jplink/evidence';

export const VERIFY_USAGE = `Usage: jplink verify --root <root-ca.pem> [--root <pem>…] [--json] FILE…

Checks message-log archives and evidence files offline: format, record hashes and chain, message
signatures, signer certificates and OCSP responses at signing time, timestamps, and the chain of
archives. Give the archives of one chain in sequence order.

  --root <file>   PEM file with the network's root CA certificate(s); the only trust input (repeatable)
  --json          print the report as JSON instead of one line per finding

Exit status: 0 nothing wrong (warnings allowed), 1 a problem was found, 2 bad usage.
`;

class VerifyUsageError extends Error {}

async function readRoots(paths: string[]): Promise<Uint8Array[]> {
  const roots: Uint8Array[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new VerifyUsageError(`cannot read --root ${path}: ${(error as Error).message}`);
    }
    try {
      roots.push(...rootCertificatesFromPem(text));
    } catch (error) {
      throw new VerifyUsageError(`--root ${path}: ${(error as Error).message}`);
    }
  }
  return roots;
}

function humanReport(report: Report): string {
  const lines = [...report.problems.map(formatFinding), ...report.warnings.map((w) => `warning: ${formatFinding(w)}`)];
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const totals = report.files.reduce((t, f) => ({ records: t.records + f.records, signatures: t.signatures + f.signatures, timestamps: t.timestamps + f.timestamps }), { records: 0, signatures: 0, timestamps: 0 });
  const checked = `${count(report.files.length, 'file')}, ${count(totals.records, 'record')}, ${count(totals.signatures, 'signature')} and ${count(totals.timestamps, 'timestamp')} verified`;
  lines.push(`${report.ok ? 'OK' : 'FAILED'}: ${count(report.problems.length, 'problem')}, ${count(report.warnings.length, 'warning')}; ${checked}`);
  return `${lines.join('\n')}\n`;
}

async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { root: { type: 'string', multiple: true }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new VerifyUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(VERIFY_USAGE);
    return 0;
  }
  if (!values.root?.length) throw new VerifyUsageError('--root <root-ca.pem> is required');
  if (positionals.length === 0) throw new VerifyUsageError('no FILE to verify');
  const roots = await readRoots(values.root);
  const report = await verifyEvidence(positionals, { roots });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : humanReport(report));
  return report.ok ? 0 : 1;
}

/** Runs `jplink verify` with the arguments after `verify`; resolves with the exit status. */
export async function runVerifyCommand(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    if (!(error instanceof VerifyUsageError)) throw error;
    process.stderr.write(`jplink verify: ${error.message}\n\n${VERIFY_USAGE}`);
    return 2;
  }
}
