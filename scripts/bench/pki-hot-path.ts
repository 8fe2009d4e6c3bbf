// Benchmark: the per-request cost of the OCSP responder and the TSA in @jplink/pki, in one process
// on one thread, next to a bare node:crypto sign() with the same key (the floor: every response
// needs exactly one signature). Measures the prepared path the Center uses (signer and issuer
// prepared once; per request: parse the request, match the issuer, build and sign the response)
// and, for comparison, the one-shot API (buildOcspResponse / buildTimeStampResponse).
// Usage: npx tsx scripts/bench/pki-hot-path.ts [--seconds 3] [--alg EC-P256|RSA-2048]
// Targets for EC-P256: OCSP ≥ 25 % and TSA ≥ 15 % of the bare sign rate.
import { sign } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  buildOcspResponse,
  buildPreparedOcspResponse,
  buildPreparedTimeStampResponse,
  buildTimeStampResponse,
  certIdMatchesIssuer,
  createOcspRequest,
  createTimeStampRequest,
  generateKeyPair,
  issueCertificate,
  parseOcspRequest,
  parseTimeStampRequest,
  prepareIssuer,
  prepareOcspSigner,
  prepareTimeStampSigner,
  verifyOcspResponse,
  verifyTimeStampToken,
  type KeyAlgorithm,
  type OcspSingleResponseInput,
  type PreparedIssuer,
} from '@jplink/pki';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, alg: { type: 'string' } } });
const seconds = Number(values.seconds);
const algorithms: KeyAlgorithm[] = values.alg === 'EC-P256' || values.alg === 'RSA-2048' ? [values.alg] : ['EC-P256', 'RSA-2048'];
const TARGETS: Record<string, number> = { ocsp: 0.25, tsa: 0.15 };
const POLICY = '1.3.6.1.4.1.57264.1.1';
const DAY = 86_400_000;
const ROUNDS = 5;

/**
 * Operations per CPU-second of `op` (process CPU time, so other load on a shared machine does not
 * count against it), measured for `ms` after the JIT has warmed up, in batches so clocks are read rarely.
 */
async function rate(op: () => unknown, ms: number): Promise<number> {
  let count = 0;
  const cpuStart = process.cpuUsage();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 10; i++) await op();
    count += 10;
  }
  const cpu = process.cpuUsage(cpuStart);
  return count / ((cpu.user + cpu.system) / 1e6);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Rates of the baseline and of each operation, in ROUNDS interleaved rounds (so drift in machine
 * load hits all of them alike); per operation the median rate and the median of its per-round
 * ratio to the baseline measured next to it.
 */
async function measure(baseline: () => unknown, ops: Array<() => unknown>): Promise<{ baseline: number; ops: Array<{ perSecond: number; ratio: number }> }> {
  const ms = (seconds * 1000) / ROUNDS;
  for (const op of [baseline, ...ops]) await rate(op, 300);
  const base: number[] = [];
  const results = ops.map(() => ({ rates: [] as number[], ratios: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, op] of ops.entries()) {
      const b = await rate(baseline, ms / 2);
      const r = await rate(op, ms);
      base.push(b);
      results[i]!.rates.push(r);
      results[i]!.ratios.push(r / b);
    }
  }
  return { baseline: median(base), ops: results.map((r) => ({ perSecond: median(r.rates), ratio: median(r.ratios) })) };
}

async function setUp(alg: KeyAlgorithm) {
  const now = Date.now();
  const notBefore = new Date(now - DAY);
  const notAfter = new Date(now + 365 * DAY);
  const rootKeys = await generateKeyPair(alg);
  const root = await issueCertificate({ subject: [['C', 'JP'], ['O', 'JP-BENCH'], ['CN', `Root ${alg}`]], publicKey: rootKeys.publicKey, selfSignedPrivateKey: rootKeys.privateKey, serialNumber: 1n, notBefore, notAfter, profile: 'root-ca' });
  const issue = async (profile: 'issuing-ca' | 'ocsp-responder' | 'tsa' | 'auth', cn: string, issuer: { certificate: Uint8Array; privateKey: typeof rootKeys.privateKey }, serialNumber: bigint) => {
    const keys = await generateKeyPair(alg);
    const certificate = await issueCertificate({ subject: [['C', 'JP'], ['O', 'JP-BENCH'], ['CN', cn]], publicKey: keys.publicKey, issuer, serialNumber, notBefore, notAfter, profile });
    return { certificate, privateKey: keys.privateKey };
  };
  const issuing = await issue('issuing-ca', `Issuing ${alg}`, { certificate: root, privateKey: rootKeys.privateKey }, 2n);
  const ocsp = await issue('ocsp-responder', `OCSP ${alg}`, issuing, 3n);
  const tsa = await issue('tsa', `TSA ${alg}`, issuing, 4n);
  const leaf = await issue('auth', `Member ${alg}`, issuing, 0x1234567890abcdefn);
  return { root, issuing, ocsp, tsa, leaf };
}

interface Row {
  alg: KeyAlgorithm;
  name: string;
  perSecond: number;
  ratio: number;
  target?: number;
}

const rows: Row[] = [];

for (const alg of algorithms) {
  const pki = await setUp(alg);
  const ocspRequest = await createOcspRequest({ certificate: pki.leaf.certificate, issuer: pki.issuing.certificate });
  const tsaRequest = createTimeStampRequest({ data: Buffer.from('JP-Link message log batch'), certReq: true });

  // Fixed per signer: done once, as the Center does in createOcspResponder / createTimestamper.
  const issuer: PreparedIssuer = prepareIssuer(pki.issuing.certificate);
  const ocspSigner = prepareOcspSigner({ certificate: pki.ocsp.certificate, privateKey: pki.ocsp.privateKey, includeCertificates: [pki.ocsp.certificate] });
  const tsaSigner = prepareTimeStampSigner({ certificate: pki.tsa.certificate, privateKey: pki.tsa.privateKey, chain: [pki.issuing.certificate], policy: POLICY, accuracySeconds: 1 });
  let serial = 1n;

  const statusesFor = (requests: ReturnType<typeof parseOcspRequest>['requests'], match: (certId: (typeof requests)[number]) => boolean): OcspSingleResponseInput[] => {
    const thisUpdate = new Date();
    const nextUpdate = new Date(thisUpdate.getTime() + 3600_000);
    return requests.map((certId) => ({ certId, status: match(certId) ? { type: 'good' as const } : { type: 'unknown' as const }, thisUpdate, nextUpdate }));
  };
  const ocspOnce = () => {
    const request = parseOcspRequest(ocspRequest.der);
    const responses = statusesFor(request.requests, (certId) => certIdMatchesIssuer(certId, issuer));
    return buildPreparedOcspResponse(ocspSigner, { responses, ...(request.nonce ? { nonce: request.nonce } : {}), producedAt: responses[0]!.thisUpdate });
  };
  const tsaOnce = () => buildPreparedTimeStampResponse(tsaSigner, { request: parseTimeStampRequest(tsaRequest.der), serialNumber: serial++, genTime: new Date() });
  const ocspOneShot = () => {
    const request = parseOcspRequest(ocspRequest.der);
    const responses = statusesFor(request.requests, (certId) => certIdMatchesIssuer(certId, pki.issuing.certificate));
    return buildOcspResponse({ responder: pki.ocsp, responses, ...(request.nonce ? { nonce: request.nonce } : {}), includeCertificates: [pki.ocsp.certificate] });
  };
  const tsaOneShot = () =>
    buildTimeStampResponse({ tsa: { ...pki.tsa, chain: [pki.issuing.certificate] }, request: parseTimeStampRequest(tsaRequest.der), serialNumber: serial++, genTime: new Date(), policy: POLICY, accuracySeconds: 1 });

  // What is measured must also be right: check one response of each kind before timing.
  const ocspCheck = await verifyOcspResponse({ response: ocspOnce(), issuer: pki.issuing.certificate, certificate: pki.leaf.certificate, trustAnchors: [pki.root], nonce: ocspRequest.nonce! });
  if (ocspCheck.status !== 'good' || !ocspCheck.delegated) throw new Error(`unexpected OCSP result ${ocspCheck.status}`);
  await verifyTimeStampToken({ token: tsaOnce(), data: Buffer.from('JP-Link message log batch'), trustAnchors: [pki.root], nonce: tsaRequest.nonce! });

  const tbs = Buffer.alloc(250, 0x5a); // about the size of a tbsResponseData
  const names = ['OCSP parse + build, prepared', 'TSA parse + build, prepared', 'OCSP parse + build, one-shot API', 'TSA parse + build, one-shot API'];
  const targets = [TARGETS.ocsp, TARGETS.tsa, undefined, undefined];
  const m = await measure(() => sign('sha256', tbs, pki.ocsp.privateKey), [ocspOnce, tsaOnce, ocspOneShot, tsaOneShot]);
  rows.push({ alg, name: 'node:crypto sign (baseline)', perSecond: m.baseline, ratio: 1 });
  m.ops.forEach((o, i) => rows.push({ alg, name: names[i]!, ...o, ...(targets[i] !== undefined ? { target: targets[i] } : {}) }));
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`\nOne thread, ops per CPU-second (median of ${ROUNDS} interleaved rounds, ${seconds} s per operation).`);
console.log(`${pad('key', 10)}${pad('operation', 36)}${'per second'.padStart(12)}${'of sign'.padStart(10)}  target (EC-P256)`);
for (const r of rows) {
  const target = r.target !== undefined && r.alg === 'EC-P256' ? `≥ ${(r.target * 100).toFixed(0)} %  ${r.ratio >= r.target ? 'met' : 'MISSED'}` : '';
  console.log(`${pad(r.alg, 10)}${pad(r.name, 36)}${r.perSecond.toFixed(0).padStart(12)}${`${(r.ratio * 100).toFixed(1)} %`.padStart(10)}  ${target}`);
}
