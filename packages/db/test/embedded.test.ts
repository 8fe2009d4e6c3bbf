// The embedded development database: PGlite on a data directory, served over the PostgreSQL wire protocol.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Generated } from 'kysely';
import { DbError, migrate, openDatabase, resolveDatabase, startEmbeddedPostgres, type DbLogger, type EmbeddedHandle } from '../src/index.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

function capture(): DbLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (_obj, msg) => void warnings.push(msg ?? ''), error() {} };
}

interface Tables {
  notes: { id: Generated<number>; body: string };
}

describe('embedded database', () => {
  let dir: string;
  let handle: EmbeddedHandle | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jplink-db-embedded-test-'));
  });
  afterAll(async () => {
    await handle?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start in production, before touching the data directory', async () => {
    const dataDir = join(dir, 'prod');
    const err = await resolveDatabase({ dataDir, production: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe('DB_EMBEDDED_IN_PRODUCTION');
    expect(existsSync(dataDir)).toBe(false);
    // An empty url is "no url", not a url.
    expect(((await resolveDatabase({ url: '  ', dataDir, production: true }).catch((e: unknown) => e)) as DbError).code).toBe('DB_EMBEDDED_IN_PRODUCTION');
  });

  it('starts on a new data directory, warns loudly, and serves the pg driver path', { timeout: 120_000 }, async () => {
    const logger = capture();
    const started = performance.now();
    const resolved = await resolveDatabase({ dataDir: join(dir, 'data'), production: false, logger });
    console.log(`[embedded test] first start (initdb) took ${Math.round(performance.now() - started)} ms`);
    handle = resolved.embedded;
    expect(resolved.kind).toBe('embedded');
    expect(resolved.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(handle?.port).toBeGreaterThan(0);
    expect(logger.warnings.join('\n')).toMatch(/NOT FOR PRODUCTION/);

    const database = await openDatabase<Tables>({ embedded: handle!, schema: 'notes_svc' });
    try {
      expect(database.kind).toBe('embedded');
      await migrate(database, {
        '202611251200-notes': {
          async up(db) {
            await sql`create table notes (id serial primary key, body text not null)`.execute(db);
          },
        },
      });
      await database.db.insertInto('notes').values([{ body: 'kept across restarts' }, { body: 'second' }]).execute();
    } finally {
      await database.close();
    }
  });

  it('refuses a second start on the same data directory while running (this process)', async () => {
    const err = await startEmbeddedPostgres({ dataDir: join(dir, 'data') }).catch((e: unknown) => e);
    expect((err as DbError).code).toBe('DB_EMBEDDED_LOCKED');
    expect((err as DbError).message).toContain('this process');
  });

  it('refuses a second start on the same data directory while running (another process)', () => {
    const script = `
      const { startEmbeddedPostgres } = await import(${JSON.stringify(join(repoRoot, 'packages/db/src/embedded-postgres.ts'))});
      try { await startEmbeddedPostgres({ dataDir: ${JSON.stringify(join(dir, 'data'))} }); console.log('STARTED'); }
      catch (e) { console.log('CODE=' + e.code); console.log(e.message); }`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 25_000 });
    expect(child.stdout).toContain('CODE=DB_EMBEDDED_LOCKED');
    expect(child.stdout).toContain(`held by pid ${process.pid}`);
  });

  it('keeps data across stop and start, and takes over a stale lock from a dead process', async () => {
    await handle!.stop();
    await handle!.stop(); // idempotent
    handle = undefined;
    expect(existsSync(join(dir, 'data', 'embedded.lock'))).toBe(false);

    // A crashed owner leaves its lock behind: the pid of a process that has exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dir, 'data', 'embedded.lock'), JSON.stringify({ pid: dead, hostname: 'x', startedAt: 'then' }));

    const started = performance.now();
    handle = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), logger: capture() });
    console.log(`[embedded test] restart on existing data took ${Math.round(performance.now() - started)} ms`);
    const database = await openDatabase<Tables>({ url: handle.url, schema: 'notes_svc' });
    try {
      const rows = await database.db.selectFrom('notes').select('body').orderBy('id').execute();
      expect(rows.map((r) => r.body)).toEqual(['kept across restarts', 'second']);
      expect(await migrate(database, { '202611251200-notes': { up: async () => {} } })).toEqual({ executed: [] });
    } finally {
      await database.close();
    }
  });

  it('keeps two services apart on one instance, including unqualified raw SQL under parallel load', async () => {
    const open = (schema: string) => openDatabase<Tables>({ embedded: handle!, schema });
    const [one, two] = await Promise.all([open('svc_one'), open('svc_two')]);
    try {
      const notes = { '202611251200-notes': { up: async (db: never) => void (await sql`create table notes (id serial primary key, body text not null)`.execute(db)) } };
      await Promise.all([migrate(one, notes), migrate(two, notes)]);
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const target = i % 2 === 0 ? one : two;
          return i % 3 === 0
            ? sql`insert into notes (body) values (${`${target.schema}-${i}`})`.execute(target.db)
            : target.db.insertInto('notes').values({ body: `${target.schema}-${i}` }).execute();
        }),
      );
      await one.db.transaction().execute(async (trx) => {
        await sql`insert into notes (body) values ('svc_one-tx')`.execute(trx);
      });
      const bodies = async (d: typeof one) => (await sql<{ body: string }>`select body from notes`.execute(d.db)).rows.map((r) => r.body);
      const inOne = await bodies(one);
      const inTwo = await bodies(two);
      expect(inOne).toHaveLength(31);
      expect(inTwo).toHaveLength(30);
      expect(inOne.every((b) => b.startsWith('svc_one-'))).toBe(true);
      expect(inTwo.every((b) => b.startsWith('svc_two-'))).toBe(true);
      // Nothing leaked into the shared session's default schema.
      const leaked = await one.pool.query(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`);
      expect(leaked.rows[0].n).toBe(0);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
