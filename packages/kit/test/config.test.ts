import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  deepFreeze,
  envBool,
  envDuration,
  envInt,
  envList,
  envPort,
  envString,
  envUrl,
  isProductionMode,
  loadConfig,
  loadConfigOrExit,
  refuseInProduction,
} from '../src/index.ts';

const schema = z.object({
  SVC_PORT: envPort(),
  SVC_ADMIN_PORT: envPort().default(4000),
  SVC_DEBUG: envBool().default(false),
  SVC_TIMEOUT_SECONDS: envDuration({ min: 1 }),
  SVC_UPSTREAM_URL: envUrl({ protocols: ['https:'] }),
  SVC_ALLOWED: envList(),
  SVC_PEERS: envList(envUrl()).default([]),
  SVC_NAME: envString(),
  SVC_WORKERS: envInt({ min: 1, max: 8 }).default(2),
});

const good = {
  SVC_PORT: '8080',
  SVC_DEBUG: '1',
  SVC_TIMEOUT_SECONDS: '30',
  SVC_UPSTREAM_URL: 'https://upstream.example.jp/api',
  SVC_ALLOWED: 'a, b,,c',
  SVC_NAME: 'center',
  UNRELATED: 'ignored',
};

function issuesOf(fn: () => unknown): ConfigError['issues'] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('parses typed values, applies explicit defaults, and deep-freezes the result', () => {
    const cfg = loadConfig(schema, good);
    expect(cfg).toEqual({
      SVC_PORT: 8080,
      SVC_ADMIN_PORT: 4000,
      SVC_DEBUG: true,
      SVC_TIMEOUT_SECONDS: 30,
      SVC_UPSTREAM_URL: 'https://upstream.example.jp/api',
      SVC_ALLOWED: ['a', 'b', 'c'],
      SVC_PEERS: [],
      SVC_NAME: 'center',
      SVC_WORKERS: 2,
    });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.SVC_ALLOWED)).toBe(true);
    expect(() => {
      (cfg as { SVC_PORT: number }).SVC_PORT = 1;
    }).toThrow(TypeError);
    expect(() => (cfg.SVC_ALLOWED as string[]).push('d')).toThrow(TypeError);
  });

  it('lists every problem at once, by env var name', () => {
    const issues = issuesOf(() =>
      loadConfig(schema, {
        SVC_PORT: '99999',
        SVC_DEBUG: 'yes',
        SVC_TIMEOUT_SECONDS: '1.5',
        SVC_UPSTREAM_URL: 'http://plain.example.jp',
        SVC_PEERS: 'https://ok.example.jp,not a url',
        SVC_NAME: '',
        SVC_WORKERS: '9',
        // SVC_ALLOWED missing
      }),
    );
    const byVar = Object.fromEntries(issues.map((i) => [i.variable, i.message]));
    expect(Object.keys(byVar).sort()).toEqual(
      [
        'SVC_ALLOWED',
        'SVC_DEBUG',
        'SVC_NAME',
        'SVC_PEERS[1]',
        'SVC_PORT',
        'SVC_TIMEOUT_SECONDS',
        'SVC_UPSTREAM_URL',
        'SVC_WORKERS',
      ].sort(),
    );
    expect(byVar.SVC_ALLOWED).toBe('is required');
    expect(byVar.SVC_DEBUG).toMatch(/'true', 'false', '1', '0'/);
    expect(byVar.SVC_UPSTREAM_URL).toMatch(/https:/);
  });

  it('the ConfigError message names each variable on its own line', () => {
    try {
      loadConfig(schema, {});
    } catch (err) {
      const lines = (err as Error).message.split('\n');
      expect(lines[0]).toMatch(/Invalid configuration \(\d+ problems\)/);
      for (const v of ['SVC_PORT', 'SVC_TIMEOUT_SECONDS', 'SVC_UPSTREAM_URL', 'SVC_ALLOWED', 'SVC_NAME']) {
        expect(lines.some((l) => l.startsWith(`  - ${v}: `))).toBe(true);
      }
      return;
    }
    throw new Error('expected a ConfigError');
  });

  it('reports cross-field problems from superRefine with their path', () => {
    const s = z
      .object({ A_MODE: z.enum(['x', 'y']), A_URL: envUrl().optional() })
      .superRefine((c, ctx) => {
        if (c.A_MODE === 'y' && !c.A_URL) ctx.addIssue({ code: 'custom', path: ['A_URL'], message: 'required when A_MODE=y' });
      });
    expect(issuesOf(() => loadConfig(s, { A_MODE: 'y' }))).toEqual([{ variable: 'A_URL', message: 'required when A_MODE=y' }]);
  });
});

describe('env helpers', () => {
  const one = <T extends z.ZodType>(s: T, v: string | undefined) => s.safeParse(v);

  it("envBool accepts only 'true' | 'false' | '1' | '0'", () => {
    expect(one(envBool(), 'true').data).toBe(true);
    expect(one(envBool(), '1').data).toBe(true);
    expect(one(envBool(), 'false').data).toBe(false);
    expect(one(envBool(), '0').data).toBe(false);
    for (const bad of ['yes', 'no', 'TRUE', 'on', '', ' true', undefined]) {
      expect(one(envBool(), bad).success).toBe(false);
    }
  });

  it('envPort / envDuration / envInt reject junk instead of coercing', () => {
    expect(one(envPort(), '0').data).toBe(0);
    for (const bad of ['', '80a', '-1', '65536', '8080.0', ' 80']) expect(one(envPort(), bad).success).toBe(false);
    expect(one(envDuration(), '0').data).toBe(0);
    for (const bad of ['', '10s', '1.5', '-3']) expect(one(envDuration(), bad).success).toBe(false);
    expect(one(envInt({ min: -5 }), '-5').data).toBe(-5);
    expect(one(envInt(), '1e3').success).toBe(false);
  });

  it('envUrl needs an absolute URL; envList splits and trims', () => {
    expect(one(envUrl(), '/relative').success).toBe(false);
    expect(one(envUrl({ protocols: ['postgres:', 'postgresql:'] }), 'postgres://u@h/db').success).toBe(true);
    expect(one(envList(), '').data).toEqual([]);
    expect(one(envList(), ' a ,b ').data).toEqual(['a', 'b']);
    expect(one(envList(z.enum(['x', 'y'])), 'x,z').success).toBe(false);
  });
});

describe('loadConfigOrExit', () => {
  it('prints every problem on its own line and exits 78', () => {
    const out: string[] = [];
    let code: number | undefined;
    expect(() =>
      loadConfigOrExit(schema, { SVC_PORT: 'x', SVC_DEBUG: 'yes' }, {
        write: (l) => out.push(l),
        exit: (c) => {
          code = c;
        },
      }),
    ).toThrow(ConfigError);
    expect(code).toBe(78);
    const text = out.join('');
    for (const v of ['SVC_PORT', 'SVC_DEBUG', 'SVC_TIMEOUT_SECONDS', 'SVC_UPSTREAM_URL', 'SVC_ALLOWED', 'SVC_NAME']) {
      expect(text).toMatch(new RegExp(`^config error: ${v}: .+$`, 'm'));
    }
  });

  it('returns the frozen config when valid', () => {
    const cfg = loadConfigOrExit(schema, good, { exit: () => { throw new Error('must not exit'); } });
    expect(cfg.SVC_PORT).toBe(8080);
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays but leaves Buffers usable', () => {
    const v = deepFreeze({ a: { b: [1, { c: 2 }] }, buf: Buffer.from('ab') });
    expect(Object.isFrozen(v.a.b[1])).toBe(true);
    expect(v.buf.toString()).toBe('ab');
  });
});

describe('production mode', () => {
  it('isProductionMode reads NODE_ENV and JPLINK_MODE', () => {
    expect(isProductionMode({ NODE_ENV: 'production' })).toBe(true);
    expect(isProductionMode({ JPLINK_MODE: 'production' })).toBe(true);
    expect(isProductionMode({ NODE_ENV: 'development', JPLINK_MODE: 'development' })).toBe(false);
    expect(isProductionMode({})).toBe(false);
  });

  it('refuseInProduction throws in production and warns loudly otherwise', () => {
    expect(() => refuseInProduction('SVC_DEV_SEED', { JPLINK_MODE: 'production' })).toThrow(ConfigError);
    expect(() => refuseInProduction('SVC_DEV_SEED', true)).toThrow(/refused in production/);
    const warnings: Array<[object, string]> = [];
    refuseInProduction('SVC_DEV_SEED', { NODE_ENV: 'development' }, { warn: (o, m) => warnings.push([o, m]) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![1]).toMatch(/DEVELOPMENT-ONLY.*SVC_DEV_SEED/);
  });
});
