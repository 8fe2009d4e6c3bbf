// Servicer A's configuration: required values listed together, production refuses plain HTTP.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@jplink/kit';
import { shopConfigSchema } from '../src/config.ts';

const base = {
  SHOP_PUBLIC_URL: 'https://shop.example.jp',
  SHOP_PL_ISSUER: 'https://pl.example.jp/oidc',
  SHOP_PL_CREDENTIALS_FILE: '/run/secrets/pl.json',
  SHOP_SS_URL: 'http://127.0.0.1:8080',
  SHOP_CLIENT: 'JP/COM/1000000000001/shopping',
  SHOP_PROVIDER: 'JP/COM/1000000000002/healthcare',
  SHOP_PROVIDER_CLIENT_ID: 'healthcare-app',
  SHOP_PROVIDER_SUBSYSTEM_CODE: 'vitals',
};
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(shopConfigSchema, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => i.variable).sort();
  }
};

describe('servicer A configuration', () => {
  it('has production defaults: schema shopping_app, the list operation, the vitals items, secure cookies', () => {
    expect(loadConfig(shopConfigSchema, base)).toMatchObject({
      JPLINK_MODE: 'production',
      SHOP_PORT: 8160,
      SHOP_DATABASE_SCHEMA: 'shopping_app',
      SHOP_PROVIDER_OPERATION: 'list',
      SHOP_DATA_ITEMS: ['measured_on', 'systolic', 'diastolic', 'heart_rate', 'steps'],
      SHOP_PURPOSE_CODE: 'shopping-recommendation',
      SHOP_CONSENT_DAYS: 90,
      SHOP_SECURE_COOKIES: true,
    });
  });
  it('lists every missing value at once', () => {
    expect(problems({})).toEqual([
      'SHOP_CLIENT',
      'SHOP_PL_CREDENTIALS_FILE',
      'SHOP_PL_ISSUER',
      'SHOP_PROVIDER',
      'SHOP_PROVIDER_CLIENT_ID',
      'SHOP_PROVIDER_SUBSYSTEM_CODE',
      'SHOP_PUBLIC_URL',
      'SHOP_SS_URL',
    ]);
  });
  it('refuses a plain-HTTP issuer and insecure cookies in production, allows them in development', () => {
    const loose = { ...base, SHOP_PL_ISSUER: 'http://pl.example.jp/oidc', SHOP_SECURE_COOKIES: 'false' };
    expect(problems(loose)).toEqual(['SHOP_PL_ISSUER', 'SHOP_SECURE_COOKIES']);
    expect(problems({ ...loose, JPLINK_MODE: 'development' })).toEqual([]);
  });
  it('refuses identifiers that are not what they claim: subsystem ids, schema, data items', () => {
    expect(problems({ ...base, SHOP_CLIENT: 'JP/COM/shopping', SHOP_DATABASE_SCHEMA: 'x; drop schema', SHOP_DATA_ITEMS: 'systolic,select *' })).toEqual(['SHOP_CLIENT', 'SHOP_DATABASE_SCHEMA', 'SHOP_DATA_ITEMS[1]']);
  });
});
