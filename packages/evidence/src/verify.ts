// The offline verifier of evidence.md §4: every file on its own (steps 1–5), then the archives of
// each chain in the order given (step 6).
import { parseCertificate, pemBlocks } from '@jplink/pki';
import { ENTRY, NO_PREVIOUS_ARCHIVE, type EvidenceLimits } from './format.ts';
import type { FileSummary, Problem, Report, Warning } from './report.ts';
import { chainLinkProblems, FileFindings, verifyFile, type ArchiveLink } from './verify-file.ts';

export interface VerifyEvidenceOptions {
  /** DER certificates of the network's root CAs: the only trust input. */
  roots: Uint8Array[];
  /** Size limits for reading the files (defaults: DEFAULT_LIMITS). */
  limits?: Partial<EvidenceLimits>;
}

/**
 * The root CA certificates (DER) of PEM text: every CERTIFICATE block, each checked to be a CA
 * certificate. Throws an Error saying what is wrong (no block, not a certificate, not a CA).
 */
export function rootCertificatesFromPem(pem: string): Uint8Array[] {
  let blocks;
  try {
    blocks = pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE');
  } catch (error) {
    throw new Error(`not PEM: ${(error as Error).message}`);
  }
  if (blocks.length === 0) throw new Error('no PEM CERTIFICATE block');
  return blocks.map((block, i) => {
    let isCa: boolean;
    try {
      isCa = parseCertificate(block.der).isCa;
    } catch (error) {
      throw new Error(`certificate ${i + 1} cannot be parsed: ${(error as Error).message}`);
    }
    if (!isCa) throw new Error(`certificate ${i + 1} is not a CA certificate`);
    return block.der;
  });
}

function checkOptions(files: unknown, options: VerifyEvidenceOptions): void {
  if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f === 'string' && f.length > 0)) {
    throw new TypeError('verifyEvidence needs at least one file path');
  }
  const roots = options?.roots;
  if (!Array.isArray(roots) || roots.length === 0) throw new TypeError('verifyEvidence needs at least one root CA certificate (options.roots)');
  roots.forEach((root, i) => {
    if (!(root instanceof Uint8Array)) throw new TypeError(`options.roots[${i}] must be DER bytes`);
    let parsed;
    try {
      parsed = parseCertificate(root);
    } catch (error) {
      throw new TypeError(`options.roots[${i}] is not a certificate: ${(error as Error).message}`);
    }
    if (!parsed.isCa) throw new TypeError(`options.roots[${i}] is not a CA certificate`);
  });
}

/** Step 6 for the archives of one chain, in the order given: hashes, sequences and the record chain across files. */
function checkChain(chain: ArchiveLink[], findings: (file: string) => FileFindings): void {
  chain.forEach((archive, i) => {
    const f = findings(archive.file);
    const { sequence, previousArchiveSha256 } = archive.manifest;
    if (sequence === 1 && previousArchiveSha256 !== NO_PREVIOUS_ARCHIVE) {
      f.problem('archive-chain-broken', 'the first archive of a chain (sequence 1) must have previousArchiveSha256 of 64 zeros', { entry: ENTRY.manifest });
    } else if (sequence > 1 && previousArchiveSha256 === NO_PREVIOUS_ARCHIVE) {
      f.problem('archive-chain-broken', `archive sequence ${sequence} has previousArchiveSha256 of 64 zeros, as only the first may`, { entry: ENTRY.manifest });
    }
    const previous = chain[i - 1];
    if (!previous) return;
    const expected = previous.manifest.sequence + 1;
    if (sequence !== expected) {
      const missing = sequence - 1 === expected ? `archive ${expected} is missing` : `archives ${expected}..${sequence - 1} are missing`;
      const why = sequence > expected ? missing : 'the archives of a chain must be given in sequence order';
      f.problem('archive-sequence-gap', `archive sequence ${sequence} follows sequence ${previous.manifest.sequence} (${previous.file}): ${why}`, { entry: ENTRY.manifest });
      return;
    }
    if (previousArchiveSha256 !== previous.sha256) {
      f.problem('archive-chain-broken', `previousArchiveSha256 is not the SHA-256 of ${previous.file} (sequence ${previous.manifest.sequence}): that file was changed or replaced`, { entry: ENTRY.manifest });
    }
    if (archive.manifest.chainComplete && previous.manifest.chainComplete && previous.last && archive.first) {
      for (const message of chainLinkProblems(previous.last, archive.first)) {
        f.problem('chain-broken', `${message} (the last record of ${previous.file})`, { recordId: archive.first.id });
      }
    }
  });
}

/**
 * Verifies archives and evidence files offline (docs/protocols/evidence.md §4): format, record
 * hashes and chain, message signatures, signer certificates and their OCSP responses at signing
 * time, timestamps, and the chain of archives. Archives of one chain must be given in sequence
 * order. Never throws for what is in the files (every finding is in the report); throws TypeError
 * for unusable arguments (no files, no or bad root certificates).
 */
export async function verifyEvidence(files: string[], options: VerifyEvidenceOptions): Promise<Report> {
  checkOptions(files, options);
  const problems: Problem[] = [];
  const warnings: Warning[] = [];
  const summaries: FileSummary[] = [];
  const chains = new Map<string, ArchiveLink[]>();
  const byFile = new Map<string, FileFindings>();
  const findings = (file: string) => {
    let f = byFile.get(file);
    if (!f) byFile.set(file, (f = new FileFindings(file, problems, warnings)));
    return f;
  };
  for (const file of files) {
    const context = { roots: options.roots, ...(options.limits ? { limits: options.limits } : {}) };
    const { summary, archive } = await verifyFile(file, context, findings(file));
    summaries.push(summary);
    if (archive) {
      const key = `${archive.manifest.securityServer}\n${archive.manifest.group}`;
      chains.set(key, [...(chains.get(key) ?? []), archive]);
    }
  }
  for (const chain of chains.values()) checkChain(chain, findings);
  return { ok: problems.length === 0, files: summaries, problems, warnings };
}
