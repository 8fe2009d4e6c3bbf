// The per-message signature envelope (payload of the SIGNATURE frame) and the ERROR frame payload.
import { z } from 'zod';
import { base64Bytes, base64Sha256, isoMillis, plainText } from './schema-fields.ts';

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

/** Validated envelope (frozen) or undefined with the first issue. */
export function checkEnvelope(value: unknown): { envelope: SignatureEnvelope } | { issue: string } {
  if (typeof value === 'object' && value !== null && validated.has(value)) return { envelope: value as SignatureEnvelope };
  const result = signatureEnvelopeSchema.safeParse(value);
  if (result.success) return { envelope: trustedEnvelope(result.data) };
  const issue = result.error.issues[0];
  return { issue: `${issue?.path.join('.') || '(envelope)'}: ${issue?.message}` };
}
