import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from '../src/secret-box.ts';

describe('sealSecret / openSecret', () => {
  it('round-trips and never shows the plaintext', () => {
    const sealed = sealSecret('a long passphrase', 'db-pässword');
    expect(sealed.startsWith('sb1.')).toBe(true);
    expect(sealed).not.toContain('db-pässword');
    expect(sealSecret('a long passphrase', 'db-pässword')).not.toBe(sealed); // random salt and IV
    expect(openSecret('a long passphrase', sealed)).toBe('db-pässword');
  });

  it('refuses a wrong passphrase, a changed text and short passphrases', () => {
    const sealed = sealSecret('a long passphrase', 'secret');
    expect(() => openSecret('another passphrase', sealed)).toThrow();
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => openSecret('a long passphrase', parts.join('.'))).toThrow();
    expect(() => openSecret('a long passphrase', 'plain')).toThrow(/sb1/);
    expect(() => sealSecret('short', 'x')).toThrow(RangeError);
  });
});
