import { describe, expect, it } from 'vitest';
import { decodeName, encodeName, formatName, parseName, type NameInput } from '../src/index.ts';
import { openssl } from './support/openssl.ts';

describe('distinguished names', () => {
  const jp: NameInput = [['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'COM'], ['CN', '1234567890123'], ['serialNumber', 'JP-TEST/COM/1234567890123']];

  it('encode/decode round-trips, with UTF8String values and PrintableString C/serialNumber', async () => {
    const name: NameInput = [['C', 'JP'], ['ST', '東京都'], ['L', '千代田区'], ['O', 'デジタル庁'], ['OU', 'GOV'], ['CN', '1234567890123'], ['serialNumber', 'X-1']];
    const der = encodeName(name);
    expect(decodeName(der)).toEqual(name);
    const r = await openssl(['asn1parse', '-inform', 'DER'], { input: der });
    expect(r.stdout.match(/PRINTABLESTRING/g)).toHaveLength(2);
    expect(r.stdout.match(/UTF8STRING/g)).toHaveLength(5);
  });

  it('formatName/parseName round-trip, escaping special characters', () => {
    expect(formatName(jp)).toBe('C=JP, O=JP-TEST, OU=COM, CN=1234567890123, serialNumber=JP-TEST/COM/1234567890123');
    expect(parseName(formatName(jp))).toEqual(jp);
    const tricky: NameInput = [['O', 'A, B + C "D" \\E'], ['CN', ' #lead and trail ']];
    expect(parseName(formatName(tricky))).toEqual(tricky);
    expect(parseName('CN=山田 太郎, O=株式会社テスト')).toEqual([['CN', '山田 太郎'], ['O', '株式会社テスト']]);
  });

  it('rejects unknown attributes, bad countries and non-printable serial numbers', () => {
    expect(() => encodeName([['XX', 'y']])).toThrow(expect.objectContaining({ code: 'PKI_NAME_INVALID' }));
    expect(() => encodeName([['C', 'Japan']])).toThrow(expect.objectContaining({ code: 'PKI_NAME_INVALID' }));
    expect(() => encodeName([['serialNumber', '番号']])).toThrow(expect.objectContaining({ code: 'PKI_NAME_INVALID' }));
    expect(() => encodeName([])).toThrow(expect.objectContaining({ code: 'PKI_NAME_INVALID' }));
    expect(() => parseName('no equals sign')).toThrow(expect.objectContaining({ code: 'PKI_NAME_INVALID' }));
  });
});
