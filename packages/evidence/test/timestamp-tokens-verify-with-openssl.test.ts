// Every log timestamp token verifies with OpenSSL as the independent verifier, exactly as
// docs/protocols/evidence.md §1 says: `openssl ts -verify -data stamped.bin -in token.tst -token_in
// -CAfile root.pem -untrusted chain.pem`, where stamped = "jplink-log-timestamp/1\n" ‖ tree root.
// The stamped bytes are rebuilt from an archive's timestamps.json, as an outside verifier would.
import { beforeAll, describe, expect, it } from 'vitest';
import { openssl, tempDir } from '@jplink/testing';
import { openEvidenceZip, timestampedData } from '../src/index.ts';
import { archiveContents, buildLog, createPki, writeArchives, type LogFixture } from './support/fixture.ts';

let log: LogFixture;

beforeAll(async () => {
  log = await buildLog(await createPki());
});

describe('log timestamp tokens', () => {
  it('each verifies with openssl ts -verify over the stamped bytes', async () => {
    const dir = await tempDir('jplink-evidence-openssl-');
    const root = await dir.file('root.pem', log.pki.rootPem);
    const chain = await dir.file('chain.pem', log.pki.chainPem);
    const files = await writeArchives(dir.dir, archiveContents(log));
    const checked = new Set<string>();
    for (const file of files) {
      const zip = await openEvidenceZip(file);
      zip.close();
      for (const t of zip.timestamps) {
        const stamped = timestampedData(Buffer.from(t.treeRoot, 'base64'));
        expect(stamped.length).toBe(55);
        const data = await dir.file(`stamped-${t.id}.bin`, stamped);
        const token = await dir.file(`token-${t.id}.tst`, Buffer.from(t.token, 'base64'));
        const result = await openssl(['ts', '-verify', '-data', data, '-in', token, '-token_in', '-CAfile', root, '-untrusted', chain]);
        expect(result.output).toContain('Verification: OK');
        expect(result.code).toBe(0);
        checked.add(t.id);
      }
    }
    expect([...checked].sort()).toEqual(log.stamps.map((s) => s.id).sort());
    // OpenSSL refuses a token over other data (the check can fail).
    const other = await dir.file('other.bin', timestampedData(Buffer.alloc(32, 7)));
    const token = await dir.file('token-1-again.tst', log.stamps[0]!.token);
    const refused = await openssl(['ts', '-verify', '-data', other, '-in', token, '-token_in', '-CAfile', root, '-untrusted', chain]);
    expect(refused.output).not.toContain('Verification: OK');
  });
});
