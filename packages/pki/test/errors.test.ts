import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PKI_ERROR_CODES, PkiError, isPkiError, pkiErrorCodes } from '../src/index.ts';

const SRC = join(import.meta.dirname, '..', 'src');

async function sources(): Promise<Map<string, string>> {
  const files = (await readdir(SRC)).filter((f) => f.endsWith('.ts'));
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(join(SRC, f), 'utf8')] as const)));
}

describe('error catalogue', () => {
  it('codes are unique PKI_ constants with descriptions', () => {
    expect(pkiErrorCodes.length).toBe(Object.keys(PKI_ERROR_CODES).length);
    for (const code of pkiErrorCodes) {
      expect(code).toMatch(/^PKI_[A-Z0-9_]+$/);
      expect(PKI_ERROR_CODES[code].length).toBeGreaterThan(10);
    }
  });

  it('every code is raised somewhere and every raised code is catalogued', async () => {
    const src = await sources();
    const all = [...src.entries()].filter(([f]) => f !== 'errors.ts').map(([, t]) => t).join('\n');
    for (const code of pkiErrorCodes) expect(all, code).toContain(`'${code}'`);
    const used = new Set([...all.matchAll(/'(PKI_[A-Z0-9_]+)'/g)].map((m) => m[1]));
    for (const code of used) expect(pkiErrorCodes, code).toContain(code);
  });

  it('expected failures use PkiError, not new Error', async () => {
    for (const [file, text] of await sources()) expect(text, file).not.toMatch(/throw new Error\(/);
  });

  it('PkiError carries code and name', () => {
    const e = new PkiError('PKI_CSR_MALFORMED');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('PkiError');
    expect(e.message).toBe(PKI_ERROR_CODES.PKI_CSR_MALFORMED);
    expect(isPkiError(e, 'PKI_CSR_MALFORMED')).toBe(true);
    expect(isPkiError(e, 'PKI_CERT_MALFORMED')).toBe(false);
  });
});
