import { describe, expect, it } from 'vitest';
import { memberIdOfSigner } from '../src/index.ts';

describe('memberIdOfSigner', () => {
  it('maps a jp-link-v1 sign subject to the member id', () => {
    expect(memberIdOfSigner({ subject: [['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'GOV'], ['CN', '0000000000001']] })).toBe('JP-TEST/GOV/0000000000001');
  });

  it('refuses other shapes', () => {
    expect(memberIdOfSigner({ subject: [['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'GOV'], ['CN', '1'], ['serialNumber', 'ss1']] })).toBeUndefined(); // an auth subject
    expect(memberIdOfSigner({ subject: [['C', 'US'], ['O', 'JP-TEST'], ['OU', 'GOV'], ['CN', '1']] })).toBeUndefined();
    expect(memberIdOfSigner({ subject: [['C', 'JP'], ['OU', 'GOV'], ['O', 'JP-TEST'], ['CN', '1']] })).toBeUndefined();
    expect(memberIdOfSigner({ subject: [['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'GOV'], ['CN', 'a/b']] })).toBeUndefined();
  });
});
