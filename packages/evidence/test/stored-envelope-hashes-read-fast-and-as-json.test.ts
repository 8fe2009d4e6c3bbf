// storedEnvelopeHashes (the archiver collects certificates with it, two envelopes per record):
// its fast path, which finds the two members by their keys, gives what JSON.parse gives — for the
// envelopes storedEnvelopeBytes writes, and for any other JSON it falls back to parsing.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { storedEnvelopeHashes } from '../src/index.ts';

const sha = () => createHash('sha256').update(randomBytes(8)).digest('base64');
const envelope = (members: Record<string, unknown>) => ({ algorithm: 'ES256', ...members, treeSize: 3, leafIndex: 1, proof: [sha(), sha()], rootSignature: randomBytes(64).toString('base64'), signedAt: '2026-12-08T04:00:00.000Z' });

describe('storedEnvelopeHashes', () => {
  it('reads the hashes of a stored envelope as JSON.parse does', () => {
    for (let i = 0; i < 20; i++) {
      const [certificate, ocsp] = [sha(), sha()];
      const bytes = Buffer.from(JSON.stringify(envelope({ signerCertificateSha256: certificate, signerOcspSha256: ocsp })));
      expect(storedEnvelopeHashes(bytes)).toEqual({ certificate, ocsp });
      // A view into a larger buffer (as the archiver's records.pgcopy fields are).
      const framed = Buffer.concat([Buffer.from('xx"signerOcspSha256":"'), bytes, Buffer.from('yy')]);
      expect(storedEnvelopeHashes(framed.subarray(22, 22 + bytes.length))).toEqual({ certificate, ocsp });
    }
  });

  it('falls back to JSON.parse for other spellings, duplicate keys and odd values', () => {
    const [certificate, ocsp, other] = [sha(), sha(), sha()];
    const members = { signerCertificateSha256: certificate, signerOcspSha256: ocsp };
    expect(storedEnvelopeHashes(Buffer.from(JSON.stringify(envelope(members), null, 2)))).toEqual({ certificate, ocsp });
    // Duplicate keys: JSON.parse keeps the last, and so does storedEnvelopeHashes.
    const duplicated = `{"signerCertificateSha256":"${other}","signerOcspSha256":"${ocsp}","signerCertificateSha256":"${certificate}"}`;
    expect(storedEnvelopeHashes(Buffer.from(duplicated))).toEqual({ certificate, ocsp });
    expect(storedEnvelopeHashes(Buffer.from(JSON.stringify({ signerCertificateSha256: 'short', signerOcspSha256: ocsp })))).toEqual({ certificate: 'short', ocsp });
    expect(storedEnvelopeHashes(Buffer.from(JSON.stringify({ signerCertificateSha256: certificate })))).toBeUndefined();
    expect(storedEnvelopeHashes(Buffer.from('not json'))).toBeUndefined();
  });
});
