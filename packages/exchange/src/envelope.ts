// The per-message signature envelope (payload of the SIGNATURE frame) and the ERROR frame payload.
import { z } from 'zod';
import { CANONICAL_SHA256_BASE64, base64Bytes, base64BytesOk, base64Sha256, isoMillis, isoMillisOk, plainText } from './schema-fields.ts';

/** Largest tree a v1 envelope may refer to (2^31 − 1 leaves; proofs have at most 31 elements). */
export const MAX_TREE_SIZE = 0x7fff_ffff;

/** Largest signer certificate or OCSP response in an envelope (DER bytes). */
export const MAX_ENVELOPE_DER_BYTES = 16_384;

export const signatureEnvelopeSchema = z
  .strictObject({
    algorithm: z.enum(['ES256', 'RS256']),
    signerCertificate: base64Bytes('signerCertificate', 1, MAX_ENVELOPE_DER_BYTES),
    signerOcsp: base64Bytes('signerOcsp', 1, MAX_ENVELOPE_DER_BYTES),
    treeSize: z.number().int().min(1).max(MAX_TREE_SIZE),
    leafIndex: z.number().int().min(0).max(MAX_TREE_SIZE - 1),
    proof: z.array(base64Sha256('proof element')).max(31),
    rootSignature: base64Bytes('rootSignature', 1, 1024),
    signedAt: isoMillis,
  })
  .refine((e) => e.leafIndex < e.treeSize, { message: 'leafIndex must be less than treeSize', path: ['leafIndex'] });

export type SignatureEnvelope = z.infer<typeof signatureEnvelopeSchema>;
export type SignatureAlgorithm = SignatureEnvelope['algorithm'];

/** Payload of an ERROR frame: an X-Road style error (`type` like `server.serverproxy.service_failed`). */
export const errorFrameSchema = z.strictObject({
  type: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'type must be 1..256 visible ASCII characters'),
  message: plainText(0, 4096),
  detail: plainText(0, 4096),
});

export type ErrorFrame = z.infer<typeof errorFrameSchema>;

// Envelopes this library validated (or made) are frozen and remembered, so verifyEnvelope need not check them again.
const validated = new WeakSet<object>();

/** Freezes an envelope known to be valid and remembers it as validated. */
export function trustedEnvelope(envelope: SignatureEnvelope): SignatureEnvelope {
  Object.freeze(envelope.proof);
  validated.add(Object.freeze(envelope));
  return envelope;
}

// The signer certificate and OCSP texts already found valid: every message of a signer repeats the
// same few kilobytes of base64, so each distinct text is checked once.
const knownDerTexts = new Set<string>();
function derTextOk(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (knownDerTexts.has(value)) return true;
  if (!base64BytesOk(value, 1, MAX_ENVELOPE_DER_BYTES)) return false;
  if (knownDerTexts.size >= 256) knownDerTexts.clear();
  knownDerTexts.add(value);
  return true;
}

const ENVELOPE_KEYS = 8;

/**
 * The envelope the schema would return (same fields, schema order, a copy) when hand-written checks
 * show it is valid; undefined when unsure (then the schema decides and words the refusal).
 */
export function fastEnvelope(value: unknown): SignatureEnvelope | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const e = value as Record<string, unknown>;
  const { algorithm, signerCertificate, signerOcsp, treeSize, leafIndex, proof, rootSignature, signedAt } = e;
  if (algorithm !== 'ES256' && algorithm !== 'RS256') return undefined;
  if (!derTextOk(signerCertificate) || !derTextOk(signerOcsp)) return undefined;
  if (!Number.isSafeInteger(treeSize) || (treeSize as number) < 1 || (treeSize as number) > MAX_TREE_SIZE) return undefined;
  if (!Number.isSafeInteger(leafIndex) || (leafIndex as number) < 0 || (leafIndex as number) >= (treeSize as number)) return undefined;
  if (!Array.isArray(proof) || proof.length > 31) return undefined;
  for (const p of proof) if (typeof p !== 'string' || !CANONICAL_SHA256_BASE64.test(p)) return undefined;
  if (!base64BytesOk(rootSignature, 1, 1024) || !isoMillisOk(signedAt)) return undefined;
  // strict: exactly these keys, all own (and no symbol or non-enumerable surprises)
  if (Reflect.ownKeys(e).length !== ENVELOPE_KEYS) return undefined;
  for (const key of ['algorithm', 'signerCertificate', 'signerOcsp', 'treeSize', 'leafIndex', 'proof', 'rootSignature', 'signedAt']) {
    if (!Object.hasOwn(e, key)) return undefined;
  }
  return {
    algorithm,
    signerCertificate: signerCertificate as string,
    signerOcsp: signerOcsp as string,
    treeSize: treeSize as number,
    leafIndex: leafIndex as number,
    proof: (proof as string[]).slice(),
    rootSignature: rootSignature as string,
    signedAt: signedAt as string,
  };
}

/** Validated envelope (frozen) or undefined with the first issue. */
export function checkEnvelope(value: unknown): { envelope: SignatureEnvelope } | { issue: string } {
  if (typeof value === 'object' && value !== null && validated.has(value)) return { envelope: value as SignatureEnvelope };
  const fast = fastEnvelope(value);
  if (fast) return { envelope: trustedEnvelope(fast) };
  const result = signatureEnvelopeSchema.safeParse(value);
  if (result.success) return { envelope: trustedEnvelope(result.data) };
  const issue = result.error.issues[0];
  return { issue: `${issue?.path.join('.') || '(envelope)'}: ${issue?.message}` };
}
