// Servicer B's configuration: required values listed together, production refuses plain HTTP.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@jplink/kit';
import { healthConfigSchema } from '../src/config.ts';

const base = {
  HEALTH_PUBLIC_URL: 'https://health.example.jp',
  HEALTH_PL_ISSUER: 'https://pl.example.jp/oidc',
  HEALTH_PL_CREDENTIALS_FILE: '/run/secrets/pl.json',
  HEALTH_ADAPTER_ADMIN_URL: 'http://127.0.0.1:8443',
  HEALTH_ADAPTER_ADMIN_KEY_FILE: '/run/secrets/adapter-key',
};
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(healthConfigSchema, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => i.variable).sort();
  }
};

describe('servicer B configuration', () => {
  it('has production defaults: schema healthcare_app, Sub System Code vitals, secure cookies', () => {
    expect(loadConfig(healthConfigSchema, base)).toMatchObject({ JPLINK_MODE: 'production', HEALTH_PORT: 8170, HEALTH_DATABASE_SCHEMA: 'healthcare_app', HEALTH_SUBSYSTEM_CODE: 'vitals', HEALTH_SECURE_COOKIES: true });
  });
  it('lists every missing value at once', () => {
    expect(problems({})).toEqual(['HEALTH_ADAPTER_ADMIN_KEY_FILE', 'HEALTH_ADAPTER_ADMIN_URL', 'HEALTH_PL_CREDENTIALS_FILE', 'HEALTH_PL_ISSUER', 'HEALTH_PUBLIC_URL']);
  });
  it('refuses a plain-HTTP issuer and insecure cookies in production, allows them in development', () => {
    const loose = { ...base, HEALTH_PL_ISSUER: 'http://pl.example.jp/oidc', HEALTH_SECURE_COOKIES: 'false' };
    expect(problems(loose)).toEqual(['HEALTH_PL_ISSUER', 'HEALTH_SECURE_COOKIES']);
    expect(problems({ ...loose, JPLINK_MODE: 'development' })).toEqual([]);
  });
  it('refuses a schema name that is not a plain identifier', () => {
    expect(problems({ ...base, HEALTH_DATABASE_SCHEMA: 'x; drop schema' })).toEqual(['HEALTH_DATABASE_SCHEMA']);
  });
});
