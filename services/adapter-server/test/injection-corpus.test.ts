// An injection corpus against every operation type, on real PostgreSQL and real MariaDB. Each call
// must end in a documented 4xx code, or in a normal answer that treats the input as a literal; and
// the database's own record (PostgreSQL's server log for a role with log_statement = 'all',
// MariaDB's general log) must show that nothing but the defined statement ran: one statement per
// call (none when the Adapter Server refused the input), in the definition's shape, with every
// caller-supplied value bound.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind, testDatabaseUrl } from '@jplink/db/testing';
import { createMysqlSample, createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '../src/testing.ts';
import { mariadbStatementLog, postgresStatementLog, withoutLiterals, type LoggedStatement, type StatementLog } from './helpers/statement-log.ts';
import { corpus, SCRATCH, type CorpusCase, type Dialect, type Operation, type Outcome } from './helpers/injection-cases.ts';

const READ_COLUMNS = [
  { name: 'id', type: 'integer', filterable: true, sortable: true },
  { name: 'user_id', type: 'string', filterable: true },
  { name: 'name', type: 'string', filterable: true, sortable: true },
  { name: 'birth_year', type: 'integer', filterable: true, sortable: true },
  { name: 'city', type: 'string', filterable: true },
  { name: 'active', type: 'boolean', filterable: true },
  { name: 'registered_on', type: 'date', filterable: true },
  { name: 'points', type: 'number', filterable: true },
];
/** The allow-list: `email` is in the table but in no definition; `secrets` is in none either. */
const ALLOWED = READ_COLUMNS.map((c) => c.name);
const WRITE_COLUMNS = [
  { name: 'id', type: 'integer' },
  { name: 'user_id', type: 'string', writable: true },
  ...['name', 'city'].map((name) => ({ name, type: 'string', writable: true })),
  { name: 'birth_year', type: 'integer', writable: true },
  { name: 'active', type: 'boolean', writable: true },
  { name: 'points', type: 'number', writable: true },
];
const ORIGINAL_USERS = ['u-001', 'u-002', 'u-003', 'u-004'];
const TIMEOUT = 180_000;

const embeddedPostgres = testDatabaseKind() === 'embedded';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The statement shapes each operation may run, as regular expressions over the logged SQL text. */
function statementShapes(dialect: Dialect, schema: string | undefined, namedSql: { byName: string; setCity: string }): Record<Operation, RegExp[]> {
  const quote = (n: string) => (dialect === 'postgres' ? `"${n}"` : `\`${n}\``);
  const P = dialect === 'postgres' ? String.raw`\$\d+` : String.raw`\?`;
  const C = `(?:${ALLOWED.map((n) => escapeRegExp(quote(n))).join('|')})`;
  const T = escapeRegExp(schema ? `${quote(schema)}.${quote('residents')}` : quote('residents'));
  const cond = `(?:${C} (?:=|<>|>|>=|<|<=) ${P}|${C} like ${P} escape '!'|${C} in \\(${P}(?:, ${P})*\\)|${C} is (?:not )?null)`;
  const cols = `${C}(?:, ${C})*`;
  const list = new RegExp(`^select ${cols} from ${T}(?: where ${cond}(?: and ${cond})*)?(?: order by ${C} (?:asc|desc)(?:, ${C} (?:asc|desc))*)? limit \\d+ offset \\d+$`);
  const get = new RegExp(`^select ${cols} from ${T} where ${C} = ${P}$`);
  const insert = new RegExp(`^insert into ${T} \\(${cols}\\) values \\(${P}(?:, ${P})*\\)(?: returning ${cols})?$`);
  const update = new RegExp(`^update ${T} set ${C} = ${P}(?:, ${C} = ${P})* where ${C} = ${P}(?: returning ${cols})?$`);
  const remove = new RegExp(`^delete from ${T} where ${C} = ${P}$`);
  const named = (text: string) => new RegExp(`^${text.split(/:[A-Za-z_]\w*/).map(escapeRegExp).join(P)}$`);
  return {
    list: [list],
    get: [get],
    'by-user': [get],
    create: [insert],
    // MySQL/MariaDB read the changed row back in the same transaction.
    update: dialect === 'postgres' ? [update] : [update, get],
    delete: [remove],
    'by-name': [named(namedSql.byName)],
    'set-city': [named(namedSql.setCity)],
  };
}

const CONTROL = /^(?:BEGIN(?: READ ONLY)?|COMMIT|ROLLBACK|START TRANSACTION(?: READ ONLY)?)$/;
const SESSION_SETUP = /^(?:SET SESSION (?:max_statement_time = \d+(?:\.\d+)?|max_execution_time = \d+|innodb_lock_wait_timeout = \d+|TRANSACTION READ ONLY)|SELECT VERSION\(\) AS v)$/;
const FORBIDDEN = /secrets|\bdrop\b|\bdelete\s+from\s+secrets|;|--|\/\*|#/i;

/**
 * How many data statements a call must have run, judged by its answer, and whether the database
 * must show an error: a refusal by the Adapter Server runs nothing.
 */
function expectedRuns(dialect: Dialect, op: Operation, answer: { status: number; body: any }): { runs: number[]; databaseError: boolean } {
  if (answer.status >= 200 && answer.status < 300) return { runs: [dialect === 'mariadb' && op === 'update' ? 2 : 1], databaseError: false };
  if (answer.body?.error?.code === 'ADAPTER_ROW_NOT_FOUND') return { runs: [1], databaseError: false };
  // The database itself refused a bound value (type, range): PostgreSQL when it binds the value
  // (before the statement is logged as run) or while running it; MariaDB while running it.
  if (/database refused a value/.test(String(answer.body?.error?.detail?.reason ?? ''))) return { runs: dialect === 'postgres' ? [0, 1] : [1], databaseError: dialect === 'postgres' };
  return { runs: [0], databaseError: false };
}

for (const dialect of ['postgres', 'mariadb'] as const) {
  const logUnavailable = dialect === 'postgres' && embeddedPostgres ? 'the embedded PGlite writes no server log' : undefined;

  describe(`injection corpus on ${dialect}`, () => {
    let adapter: RunningAdapter;
    let sample: SampleTarget;
    let log: StatementLog | undefined;
    let logProblem: string | undefined;
    let shapes: Record<Operation, RegExp[]>;
    let cleanup: Array<() => Promise<unknown>> = [];
    let tableName: string;
    let snapshot: { residents: any[]; secrets: any[] };
    let scratchIds: Record<'one' | 'two', number>;
    const allLogged: LoggedStatement[] = [];
    let callsChecked = 0;
    const created: Array<Record<string, unknown>> = [];
    const scratchExpected: Record<string, unknown> = { name: 'scratch one', city: null };

    beforeAll(async () => {
      let connection: SampleTarget['connection'];
      if (dialect === 'postgres') {
        sample = await createPostgresSample();
        connection = sample.connection;
        if (!embeddedPostgres) {
          // A login role of its own: the server logs all its statements, and it owns the sample
          // tables, so an injected DROP or DELETE would have succeeded.
          const url = new URL(testDatabaseUrl());
          const su = new pg.Pool({ connectionString: url.toString(), max: 1 });
          const role = `jplink_inj_${randomBytes(4).toString('hex')}`;
          await su.query(`create role ${role} login`);
          await su.query(`alter role ${role} set log_statement = 'all'`);
          await su.query(`grant usage on schema ${sample.schema} to ${role}`);
          await su.query(`alter table ${sample.schema}.residents owner to ${role}`);
          await su.query(`alter table ${sample.schema}.secrets owner to ${role}`);
          cleanup.push(async () => {
            await su.query(`drop owned by ${role}`).catch(() => {});
            await su.query(`drop role if exists ${role}`).catch(() => {});
            await su.end();
          });
          connection = { ...connection, username: role };
          const opened = await postgresStatementLog(su, url, role);
          if (typeof opened === 'string') logProblem = opened;
          else log = opened;
        }
      } else {
        // The general log first, so every session of the test user is recorded from its start.
        const root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
        const user = `jplink_inj_${randomBytes(4).toString('hex')}`;
        const password = randomBytes(12).toString('hex');
        log = await mariadbStatementLog(root, user);
        cleanup.push(async () => {
          await log?.close();
          await root.query(`drop user if exists '${user}'@'%'`).catch(() => {});
          await root.end();
        });
        sample = await createMysqlSample();
        await root.query(`create user '${user}'@'%' identified by '${password}'`);
        await root.query(`grant all privileges on \`${sample.connection.database}\`.* to '${user}'@'%'`);
        connection = { ...sample.connection, username: user, password };
      }
      tableName = sample.schema ? `${sample.schema}.residents` : 'residents';
      await sample.exec(`insert into ${tableName} (user_id, name) values ('${SCRATCH.one}', 'scratch one'), ('${SCRATCH.two}', 'scratch two')`);
      const ids = await sample.exec(`select id, user_id from ${tableName} where user_id in ('${SCRATCH.one}', '${SCRATCH.two}')`);
      scratchIds = { one: Number(ids.find((r) => r.user_id === SCRATCH.one).id), two: Number(ids.find((r) => r.user_id === SCRATCH.two).id) };
      snapshot = {
        residents: await sample.exec(`select * from ${tableName} where user_id in ('u-001', 'u-002', 'u-003', 'u-004') order by id`),
        secrets: await sample.exec(`select * from ${sample.schema ? `${sample.schema}.` : ''}secrets order by id`),
      };

      adapter = await startTestAdapter();
      expect((await adapter.admin('POST', '/api/v1/connections', connection)).status).toBe(201);
      expect((await adapter.admin('POST', '/api/v1/subsystems', { code: 'inj', title: 'injection corpus' })).status).toBe(201);
      const table = { ...(sample.schema ? { schema: sample.schema } : {}), name: 'residents' };
      const named = {
        byName: `select user_id, name from ${tableName} where name = :name or birth_year = :year order by user_id`,
        setCity: `update ${tableName} set city = :city where user_id = :userId`,
      };
      const c = connection.name;
      for (const def of [
        { name: 'list', kind: 'list', table, key: 'id', columns: READ_COLUMNS, maxRows: 10 },
        { name: 'get', kind: 'get', table, key: 'id', columns: READ_COLUMNS },
        { name: 'by-user', kind: 'get', table, key: 'user_id', columns: READ_COLUMNS },
        { name: 'create', kind: 'create', table, columns: WRITE_COLUMNS },
        { name: 'update', kind: 'update', table, key: 'id', columns: WRITE_COLUMNS.map((col) => (col.name === 'user_id' ? { ...col, writable: false } : col)) },
        // The key column is not listed: its type still checks the path.
        { name: 'delete', kind: 'delete', table, key: 'id', columns: [] },
        { name: 'by-name', kind: 'query', sql: named.byName, parameters: [{ name: 'name', type: 'string' }, { name: 'year', type: 'integer', required: false }] },
        { name: 'set-city', kind: 'query', readOnly: false, sql: named.setCity, parameters: [{ name: 'city', type: 'string' }, { name: 'userId', type: 'string' }] },
      ]) {
        const saved = await adapter.admin('POST', '/api/v1/subsystems/inj/services', { title: def.name, connection: c, ...def });
        expect(saved.status, JSON.stringify(saved.body)).toBe(201);
      }
      shapes = statementShapes(dialect, sample.schema, named);
    }, TIMEOUT);

    afterAll(async () => {
      await adapter?.stop();
      await sample?.drop();
      for (const step of cleanup.reverse()) await step();
      cleanup = [];
    }, TIMEOUT);

    // Bodies go as JSON text (`raw` is sent exactly as written: numbers JSON cannot round-trip, __proto__).
    const call = (c: CorpusCase) => adapter.data(c.method, c.path, c.raw !== undefined ? { body: c.raw } : c.body !== undefined ? { body: c.body } : {});

    /** Nothing outside the definition comes back: no secret, no e-mail, no column beyond the allow-list. */
    const assertNothingBeyondDefinition = (label: string, op: Operation, body: any) => {
      const text = JSON.stringify(body ?? null);
      expect.soft(text, `${label}: a secret value`).not.toContain('top-secret-value');
      expect.soft(text, `${label}: an e-mail address`).not.toMatch(/@example\.jp/);
      const rows = body?.error ? [] : Array.isArray(body?.rows) ? body.rows : body && typeof body === 'object' && !('affected' in body) ? [body] : [];
      const allowed = op === 'by-name' ? ['user_id', 'name'] : ALLOWED;
      for (const row of rows) for (const key of Object.keys(row)) expect.soft(allowed, `${label}: column ${key} is outside the definition`).toContain(key);
    };

    const assertOutcome = (label: string, op: Operation, answer: { status: number; body: any }, expected: Outcome) => {
      expect.soft(answer.status, `${label}: status (${JSON.stringify(answer.body)?.slice(0, 300)})`).toBe(expected.status);
      if (expected.code) expect.soft(answer.body?.error?.code, `${label}: error code`).toBe(expected.code);
      if (expected.status >= 400) expect.soft(answer.body?.error?.code, `${label}: the error envelope`).toMatch(/^(ADAPTER|KIT)_[A-Z_]+$/);
      if (expected.userIds) {
        const got = op === 'get' || op === 'by-user' ? [answer.body?.user_id] : (answer.body?.rows ?? []).map((r: any) => r.user_id);
        expect.soft(got, `${label}: rows`).toEqual(expected.userIds);
      }
      if (expected.affected !== undefined) expect.soft(answer.body, `${label}: affected rows`).toEqual({ affected: expected.affected });
      if (expected.row) expect.soft(answer.body, `${label}: the row as written`).toMatchObject(expected.row);
    };

    /** The database's record of one call: defined shapes only, the expected number of data statements. */
    const assertLogged = (label: string, op: Operation, statements: LoggedStatement[], expected: ReturnType<typeof expectedRuns>) => {
      let data = 0;
      let errors = 0;
      for (const s of statements) {
        allLogged.push(s);
        if (s.kind === 'error') {
          errors++;
          expect.soft(s.text, `${label}: the database saw malformed SQL`).not.toMatch(/syntax error/i);
          expect.soft(shapes[op].some((r) => r.test(s.statement ?? '')), `${label}: failed statement outside the definition: ${s.statement}`).toBe(true);
          continue;
        }
        if (s.kind === 'execute' && dialect === 'mariadb') {
          expect.soft(s.prepared, `${label}: Execute without a matching Prepare: ${s.text.slice(0, 200)}`).toBeDefined();
          if (s.prepared) expect.soft(shapes[op].some((r) => r.test(s.prepared!)), `${label}: prepared statement outside the definition: ${s.prepared}`).toBe(true);
          expect.soft(withoutLiterals(s.text), `${label}: SQL text beyond bound values`).not.toMatch(FORBIDDEN);
          data++;
          continue;
        }
        if (CONTROL.test(s.text) || (dialect === 'mariadb' && s.kind === 'query' && SESSION_SETUP.test(s.text))) continue;
        expect.soft(s.text, `${label}: SQL text beyond the definition`).not.toMatch(FORBIDDEN);
        expect.soft(shapes[op].some((r) => r.test(s.text)), `${label}: statement outside the definition: ${s.text.slice(0, 300)}`).toBe(true);
        if (s.kind !== 'prepare') data++;
      }
      expect.soft(expected.runs, `${label}: data statements run (${statements.map((s) => `${s.kind}: ${s.text.slice(0, 120)}`).join(' | ')})`).toContain(data);
      if (expected.databaseError) expect.soft(errors, `${label}: the database's refusal is in its log`).toBeGreaterThan(0);
      callsChecked++;
    };

    const runCorpus = async (op: Operation) => {
      const cases = corpus(op, scratchIds);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const label = `${op} ${c.label}`;
        const mark = log ? await log.mark() : 0;
        const answer = await call(c);
        const expected = 'status' in c.expect ? c.expect : c.expect[dialect];
        assertOutcome(label, op, answer, expected);
        assertNothingBeyondDefinition(label, op, answer.body);
        if (log) assertLogged(label, op, await log.since(mark), expectedRuns(dialect, op, answer));
        if (op === 'create' && answer.status === 201) created.push(c.body as Record<string, unknown>);
        if (op === 'update' && answer.status === 200) Object.assign(scratchExpected, c.body);
        if (op === 'set-city' && answer.body?.affected === 1) scratchExpected.city = (c.body as { city: unknown }).city;
      }
    };

    it('list: filters, operators, select and order names, numbers, repeats, NUL bytes and long values', () => runCorpus('list'), TIMEOUT);
    it('get by an integer key: quotes, comments, stacked statements and path tricks in the key', () => runCorpus('get'), TIMEOUT);
    it('get by a text key: the injection text is only ever a key value', () => runCorpus('by-user'), TIMEOUT);
    it('named read-only query: parameters are bound values, undeclared and repeated ones are refused', () => runCorpus('by-name'), TIMEOUT);
    it('create: bodies with injection text are stored as text; arrays, objects and unknown columns are refused', () => runCorpus('create'), TIMEOUT);
    it('update: only the keyed row changes, to the literal values', () => runCorpus('update'), TIMEOUT);
    it('named writing query: operator objects and arrays are refused, text is bound', () => runCorpus('set-city'), TIMEOUT);
    it('delete: a malformed key never reaches the database, a valid one deletes that row only', () => runCorpus('delete'), TIMEOUT);

    it('leaves the secrets and the other residents as they were', async () => {
      expect(await sample.exec(`select * from ${sample.schema ? `${sample.schema}.` : ''}secrets order by id`)).toEqual(snapshot.secrets);
      expect(await sample.exec(`select * from ${tableName} where user_id in ('u-001', 'u-002', 'u-003', 'u-004') order by id`)).toEqual(snapshot.residents);
      const rows = await sample.exec(`select user_id, name, city from ${tableName} order by id`);
      const createdIds = created.map((b) => String(b.user_id));
      expect(rows.map((r) => r.user_id).sort()).toEqual([...ORIGINAL_USERS, SCRATCH.one, ...createdIds].sort());
      expect(created.length).toBeGreaterThan(3);
      for (const body of created) {
        // Exactly the text that was sent, character for character.
        expect(rows.find((r) => r.user_id === body.user_id)).toEqual({ user_id: body.user_id, name: body.name, city: body.city ?? null });
      }
      expect(rows.find((r) => r.user_id === SCRATCH.one)).toMatchObject({ name: scratchExpected.name, city: scratchExpected.city });
    });

    it.skipIf(logUnavailable !== undefined)(`the database's own log shows only the defined statements${logUnavailable ? ` (skipped: ${logUnavailable})` : ''}`, () => {
      expect(logProblem, 'the database log could not be read').toBeUndefined();
      expect(log).toBeDefined();
      expect(callsChecked).toBeGreaterThan(150);
      const texts = allLogged.filter((s) => s.kind !== 'error').map((s) => (s.kind === 'execute' && dialect === 'mariadb' ? withoutLiterals(s.text) : s.text));
      expect(texts.length).toBeGreaterThan(50);
      expect(texts.filter((t) => /secrets|\bdrop\b/i.test(t))).toEqual([]);
    });
  });
}
