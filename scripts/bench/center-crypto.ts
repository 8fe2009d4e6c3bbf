// Benchmark: OCSP responses/s and timestamps/s from a real Center pinned to ONE core, over HTTP
// keep-alive on loopback, next to `openssl speed` for the same key type in the same run.
// Usage: pnpm bench:center [-- --alg EC-P256|RSA-2048 --seconds 10 --connections 16]
// Not a test: it prints a table; docs/performance.md keeps the results.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort } from '@jplink/testing';
import { createOcspRequest, createCsr, createTimeStampRequest, derToPem, generateKeyPair, pemToDer, verifyOcspResponse, verifyTimeStampToken } from '@jplink/pki';

const { values } = parseArgs({
  options: {
    alg: { type: 'string', default: 'EC-P256' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
  },
});
const algorithm = values.alg === 'RSA-2048' ? 'RSA-2048' : 'EC-P256';
const seconds = Number(values.seconds);
const connections = Number(values.connections);

function opensslSpeed(): { sign: number; verify: number; line: string } {
  const name = algorithm === 'RSA-2048' ? 'rsa2048' : 'ecdsap256';
  const out = execFileSync('taskset', ['-c', '0', 'openssl', 'speed', '-seconds', String(Math.min(seconds, 5)), name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.split('\n').find((l) => (algorithm === 'RSA-2048' ? /^rsa\s+2048/.test(l.trim()) : /256 bits ecdsa \(nistp256\)/.test(l)))!;
  const numbers = line.trim().split(/\s+/).map(Number).filter((n) => !Number.isNaN(n));
  const [sign, verify] = numbers.slice(-2) as [number, number];
  return { sign, verify, line: line.trim() };
}

async function startCenter(): Promise<{ child: ChildProcess; publicUrl: string; adminUrl: string; adminKey: string; database: string }> {
  const [publicPort, adminPort, registrationPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', 'scripts/bench/center-server.ts', algorithm, String(publicPort), String(adminPort), String(registrationPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: new URL('../../', import.meta.url).pathname,
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    // The child's logger also writes JSON lines to stdout: wait for the one that says ready.
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const ready = buffer.split('\n').find((line) => line.startsWith('{"ready":true'));
      if (ready) resolve(ready);
    });
    child.once('exit', (code) => reject(new Error(`center exited with ${code}`)));
  });
  const ready = JSON.parse(line) as { adminKey: string; database: string };
  return { child, publicUrl: `http://127.0.0.1:${publicPort}`, adminUrl: `http://127.0.0.1:${adminPort}`, adminKey: ready.adminKey, database: ready.database };
}

function post(agent: Agent, url: string, body: Buffer, contentType: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Closed-loop load: `connections` workers each send the next request when the last answered. */
async function load(url: string, body: Buffer, contentType: string, check: (response: Buffer) => boolean): Promise<{ perSecond: number; count: number; failed: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  // Warm-up (JIT, connections).
  const warmEnd = Date.now() + 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < warmEnd) await post(agent, url, body, contentType);
  }));
  let count = 0;
  let failed = 0;
  const started = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < end) {
      const response = await post(agent, url, body, contentType);
      if (response.status === 200 && (count % 500 !== 0 || check(response.body))) count += 1;
      else failed += 1;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { perSecond: count / elapsed, count, failed };
}

const speed = opensslSpeed();
const center = await startCenter();
try {
  // A member certificate to ask OCSP about.
  const auth = { authorization: `Bearer ${center.adminKey}`, 'content-type': 'application/json' };
  const agent = new Agent({ keepAlive: false });
  const member = Buffer.from(JSON.stringify({ memberClass: 'COM', memberCode: '1234567890123', name: 'Bench KK' }));
  await post(agent, `${center.adminUrl}/api/v1/members`, member, 'application/json', auth);
  const keys = await generateKeyPair(algorithm);
  const csr = derToPem(await createCsr({ subject: [['CN', 'bench']], ...keys }), 'CERTIFICATE REQUEST');
  const issued = await post(agent, `${center.adminUrl}/api/v1/certificates`, Buffer.from(JSON.stringify({ csr, profile: 'sign', member: 'JP-BENCH/COM/1234567890123' })), 'application/json', auth);
  const certificate = pemToDer(JSON.parse(issued.body.toString()).certificate as string);
  const anchorResponse = await fetch(`${center.publicUrl}/globalconf/v1/latest.json`).then((r) => r.json() as Promise<{ document: string }>);
  const conf = await fetch(`${center.publicUrl}/globalconf/v1/${anchorResponse.document}`).then((r) => r.json() as Promise<{ approvedCas: Array<{ rootCertificate: string; intermediateCertificates: string[] }>; tsas: Array<{ certificate: string }> }>);
  const root = Buffer.from(conf.approvedCas[0]!.rootCertificate, 'base64');
  const issuing = Buffer.from(conf.approvedCas[0]!.intermediateCertificates[0]!, 'base64');

  const ocspRequest = await createOcspRequest({ certificate, issuer: issuing, nonce: true });
  const ocsp = await load(`${center.publicUrl}/ocsp`, Buffer.from(ocspRequest.der), 'application/ocsp-request', (der) => {
    verifyOcspResponse({ response: der, issuer: issuing, certificate, trustAnchors: [root] }).catch(() => undefined);
    return der.length > 100;
  });
  const sample = await post(new Agent(), `${center.publicUrl}/ocsp`, Buffer.from(ocspRequest.der), 'application/ocsp-request');
  const ocspStatus = (await verifyOcspResponse({ response: sample.body, issuer: issuing, certificate, trustAnchors: [root], nonce: ocspRequest.nonce! })).status;

  const tsq = createTimeStampRequest({ data: Buffer.from('JP-Link bench'), nonce: true, certReq: true });
  const tsa = await load(`${center.publicUrl}/tsa`, Buffer.from(tsq.der), 'application/timestamp-query', (der) => der.length > 200);
  const tsSample = await post(new Agent(), `${center.publicUrl}/tsa`, Buffer.from(tsq.der), 'application/timestamp-query');
  const token = await verifyTimeStampToken({ token: tsSample.body, data: Buffer.from('JP-Link bench'), trustAnchors: [root], intermediates: [issuing] });

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const rows = [
    ['measure', 'per second', '× openssl speed sign/s'],
    [`openssl speed ${algorithm} sign (1 core)`, speed.sign.toFixed(0), '1.00'],
    [`openssl speed ${algorithm} verify (1 core)`, speed.verify.toFixed(0), ''],
    [`Center OCSP over HTTP (server on 1 core), status ${ocspStatus}`, ocsp.perSecond.toFixed(0), (ocsp.perSecond / speed.sign).toFixed(3)],
    [`Center TSA over HTTP (server on 1 core), token ${token.serialNumber > 0n ? 'verified' : '?'}`, tsa.perSecond.toFixed(0), (tsa.perSecond / speed.sign).toFixed(3)],
  ];
  console.log(`\nJP-Link Center crypto benchmark — ${new Date().toISOString()}`);
  console.log(`machine: ${cpus().length} × ${cpu}, Node ${process.version}, database ${center.database}, ${connections} keep-alive connections, ${seconds} s each`);
  console.log(`openssl: ${speed.line}`);
  for (const row of rows) console.log(`${row[0]!.padEnd(62)} ${row[1]!.padStart(10)}  ${row[2]}`);
  console.log(`failed responses: OCSP ${ocsp.failed}, TSA ${tsa.failed}`);
} finally {
  center.child.kill('SIGTERM');
  await new Promise((resolve) => center.child.once('exit', resolve));
}
