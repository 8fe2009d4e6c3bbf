import { describe, expect, it } from 'vitest';
import { apiKeyMatches, generateApiKey, hashApiKey } from '../src/api-keys.ts';

describe('apiKeyMatches', () => {
  it('accepts only the key behind the hash', () => {
    const key = generateApiKey();
    const sha = hashApiKey(key);
    expect(apiKeyMatches(key, sha)).toBe(true);
    expect(apiKeyMatches(`${key}x`, sha)).toBe(false);
    expect(apiKeyMatches('', sha)).toBe(false);
    expect(apiKeyMatches(undefined, sha)).toBe(false);
  });
});
