// Bench (not a test): how many messages one root signature covers when 200 senders share a batch signer.
// Run: cd /work/main && npx tsx packages/exchange/bench/batch-signing.ts
// Each of 200 concurrent senders loops: build a request, write it (digest + batch signature), read it back
// and verify it (as the receiver would), then wait a random 0–N ms (stand-in for network I/O) before the next one.
import { randomUUID } from 'node:crypto';
import { generateKeyPair, issueCertificate, type KeyAlgorithm } from '@jplink/pki';
import { createBatchSigner, readMessage, verifyEnvelope, writeMessage } from '../src/index.ts';

const SENDERS = 200;
const MESSAGES = 10_000;
const body = Buffer.alloc(1024, 0x61);

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

async function run(alg: KeyAlgorithm, senders: number, ioDelayMs: number): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const certificate = await issueCertificate({
    subject: [['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'COM'], ['CN', '1234567890123']],
    publicKey, selfSignedPrivateKey: privateKey, serialNumber: 1n,
    notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), profile: 'sign',
  });
  const ocsp = Buffer.alloc(1500, 0x30);
  const signer = createBatchSigner({ privateKey, certificate, ocsp: () => ocsp });
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: senders }, async () => {
    for (let i = 0; i < MESSAGES / senders; i++) {
      const written = await writeMessage({
        header: {
          protocol: 'jpx/1', kind: 'request', messageId: randomUUID(), xRoadId: `JP-TEST-${randomUUID()}`,
          createdAt: new Date().toISOString(), senderServer: 'JP-TEST/COM/1234567890123/ss1', targetServer: 'JP-TEST/GOV/0000000000001/ss1',
          client: 'JP-TEST/COM/1234567890123/app', service: 'JP-TEST/GOV/0000000000001/juminhyo/get',
          method: 'POST', path: '/v1/x', query: '', headers: [['content-type', 'application/octet-stream']],
        },
        body,
        sign: signer.sign,
      });
      const read = await readMessage(once(Buffer.concat(written.frames)), { maxBodyBytes: 1 << 20 });
      verifyEnvelope({ digest: read.digest, envelope: read.signature! });
      if (ioDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * ioDelayMs));
    }
  }));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const { signatures, messages, largestBatch } = signer.stats();
  console.log(
    `${alg.padEnd(8)} senders=${String(senders).padStart(3)} io=0–${String(ioDelayMs).padEnd(2)} ms  messages=${messages}  signatures=${signatures}  ` +
      `messages/signature=${(messages / signatures).toFixed(1)}  largest=${largestBatch}  ${Math.round((messages / ms) * 1000)} msg/s`,
  );
}

for (const alg of (process.env.ALGS ?? 'EC-P256,RSA-2048').split(',') as KeyAlgorithm[]) {
  await run(alg, 1, 0);
  await run(alg, SENDERS, 0);
  await run(alg, SENDERS, 2);
  await run(alg, SENDERS, 20);
}
