import { describe, expect, it, vi } from 'vitest';
import { probeDatabase } from '../src/index.ts';
import { testDatabaseKind, testDatabaseUrl } from '../src/testing.ts';

describe('test global setup', () => {
  it('hands the chosen database to the workers', async () => {
    const probe = await probeDatabase(testDatabaseUrl());
    expect(probe.kind).toBe(testDatabaseKind());
    console.log(`[jplink tests] this worker uses ${probe.kind} (PostgreSQL ${probe.version})`);
  });

  it('prints one line naming the database it chose', async () => {
    // Re-run the setup against the database already chosen (it only probes: nothing is started).
    const previous = process.env.JPLINK_TEST_DATABASE_URL;
    process.env.JPLINK_TEST_DATABASE_URL = testDatabaseUrl();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const provided: Record<string, unknown> = {};
    let lines: string[] = [];
    try {
      const { default: setup } = await import('../src/test-global-setup.ts');
      const teardown = await setup({ provide: (key: string, value: unknown) => void (provided[key] = value) } as never);
      await teardown();
      lines = log.mock.calls.map((c) => String(c[0]));
    } finally {
      log.mockRestore();
      if (previous === undefined) delete process.env.JPLINK_TEST_DATABASE_URL;
      else process.env.JPLINK_TEST_DATABASE_URL = previous;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[jplink tests\] database: (PostgreSQL \d+\.\d+ at |embedded PGlite)/);
    expect(provided).toEqual({ databaseUrl: testDatabaseUrl(), databaseKind: testDatabaseKind() });
  });
});

describe('test global setup without PostgreSQL', () => {
  it('falls back to an embedded PGlite in a temporary directory, and removes it at teardown', { timeout: 120_000 }, async () => {
    const { chooseTestDatabase } = await import('../src/test-global-setup.ts');
    const { existsSync } = await import('node:fs');
    const choice = await chooseTestDatabase({ localUrl: 'postgres://postgres@127.0.0.1:1/postgres' });
    try {
      expect(choice.line).toBe('embedded PGlite (no PostgreSQL reachable)');
      expect(choice.kind).toBe('embedded');
      expect(existsSync(choice.dataDir!)).toBe(true);
      expect((await probeDatabase(choice.url)).kind).toBe('embedded');
    } finally {
      await choice.stop?.();
    }
    const port = new URL(choice.url).port;
    const err = await probeDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(existsSync(choice.dataDir!)).toBe(false);
  });
});
