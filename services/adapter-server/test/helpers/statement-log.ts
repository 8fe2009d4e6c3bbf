// What the target database itself recorded as run by one login: PostgreSQL's server log (a role
// created for the test with log_statement = 'all') and MariaDB's general log (log_output TABLE,
// rows of a user created for the test). Tests mark a position, call the Adapter Server, and read
// the statements the database received since the mark.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import mysql from 'mysql2/promise';

export interface LoggedStatement {
  /** statement / execute (PostgreSQL), query / prepare / execute (MariaDB), error (PostgreSQL ERROR records). */
  kind: 'statement' | 'execute' | 'query' | 'prepare' | 'error';
  /** The SQL text as the database logged it (MariaDB Execute: with the bound values written in). */
  text: string;
  /** MariaDB Execute: the prepared text (with `?`) whose placeholders the logged values fill, if one was found. */
  prepared?: string | undefined;
  /** PostgreSQL error: the statement it belongs to. */
  statement?: string | undefined;
}

export interface StatementLog {
  /** The login whose statements are recorded. */
  readonly user: string;
  mark(): Promise<number>;
  since(mark: number): Promise<LoggedStatement[]>;
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------------ PostgreSQL

const PG_RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\S*)@\S* (LOG|ERROR|DETAIL|STATEMENT|CONTEXT|HINT|WARNING|NOTICE|FATAL|PANIC):  ([\s\S]*)$/;

/** Where this server writes its stderr log: pg_current_logfile(), else Debian's /var/log/postgresql file of the cluster. */
async function postgresLogFile(su: pg.Pool): Promise<string | undefined> {
  const explicit = process.env.JPLINK_TEST_PG_LOG?.trim();
  const { rows } = await su.query<{ f: string | null; d: string; c: string }>(
    `select pg_current_logfile('stderr') as f, current_setting('data_directory') as d, current_setting('cluster_name') as c`,
  );
  const row = rows[0]!;
  const m = /^(\d+)\/(.+)$/.exec(row.c);
  const candidates = [explicit, row.f ? (row.f.startsWith('/') ? row.f : `${row.d}/${row.f}`) : undefined, m ? `/var/log/postgresql/postgresql-${m[1]}-${m[2]}.log` : undefined].filter((p): p is string => !!p);
  for (const path of candidates) {
    const stat = await su.query<{ size: string | null }>(`select (pg_stat_file($1, true)).size::text as size`, [path]).catch(() => undefined);
    if (stat?.rows[0]?.size != null) return path;
  }
  return undefined;
}

/**
 * Creates a login role with log_statement = 'all' and reads the server log through the server
 * (pg_read_binary_file). Returns a reason instead when the log cannot be found or does not record
 * the role's statements in the expected form.
 */
export async function postgresStatementLog(su: pg.Pool, url: URL, role: string): Promise<StatementLog | string> {
  const file = await postgresLogFile(su);
  if (!file) return 'the PostgreSQL server log file was not found (set JPLINK_TEST_PG_LOG to its path)';
  const size = async () => Number((await su.query<{ s: string }>(`select (pg_stat_file($1)).size::text as s`, [file])).rows[0]!.s);
  const read = async (from: number) => {
    const to = await size();
    if (to <= from) return '';
    const { rows } = await su.query<{ b: Buffer }>(`select pg_read_binary_file($1, $2, $3) as b`, [file, from, to - from]);
    return rows[0]!.b.toString('utf8');
  };
  const parse = (text: string): LoggedStatement[] => {
    const records: Array<{ pid: string; user: string; level: string; message: string }> = [];
    for (const line of text.split('\n')) {
      const m = PG_RECORD.exec(line);
      if (m) records.push({ pid: m[1]!, user: m[2]!, level: m[3]!, message: m[4]! });
      else if (line.startsWith('\t') && records.length) records[records.length - 1]!.message += `\n${line.slice(1)}`;
    }
    const out: LoggedStatement[] = [];
    const lastError = new Map<string, LoggedStatement>();
    for (const r of records) {
      if (r.user !== role) continue;
      const statement = /^(statement|execute [^:]*): ([\s\S]*)$/.exec(r.message);
      if (r.level === 'LOG' && statement) out.push({ kind: statement[1] === 'statement' ? 'statement' : 'execute', text: statement[2]! });
      else if (r.level === 'ERROR') {
        const error: LoggedStatement = { kind: 'error', text: r.message };
        out.push(error);
        lastError.set(r.pid, error);
      } else if (r.level === 'STATEMENT' && lastError.has(r.pid)) {
        // The statement the error belongs to (it may have failed before it was logged as run).
        lastError.get(r.pid)!.statement = r.message;
        lastError.delete(r.pid);
      }
    }
    return out;
  };
  const log: StatementLog = {
    user: role,
    mark: size,
    async since(mark) {
      return parse(await read(mark));
    },
    async close() {},
  };
  // The log must show a probe statement of the role, or nothing this helper reports can be trusted.
  const probe = `jplink-log-probe-${randomBytes(4).toString('hex')}`;
  const start = await log.mark();
  const client = new pg.Client({ host: url.hostname, port: Number(url.port || 5432), database: decodeURIComponent(url.pathname.slice(1)) || 'postgres', user: role });
  await client.connect();
  try {
    await client.query(`select '${probe}' as probe`);
  } finally {
    await client.end();
  }
  const seen = await log.since(start);
  if (!seen.some((s) => s.text.includes(probe))) return `the PostgreSQL server log (${file}) does not show the statements of role ${role} (log_line_prefix must contain %u)`;
  return log;
}

// --------------------------------------------------------------------------------- MariaDB/MySQL

/** A literal MariaDB writes into the general log for a bound value of an Execute. */
const MYSQL_LITERAL = String.raw`(?:'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|NULL)`;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether an Execute text is the prepared text with one literal in place of each `?`. */
export function fillsPrepared(prepared: string, executed: string): boolean {
  const pattern = prepared.split('?').map(escapeRegExp).join(MYSQL_LITERAL);
  return new RegExp(`^${pattern}$`, 's').test(executed);
}

/** An Execute text with its literals replaced by `?` (what the statement was without the values). */
export function withoutLiterals(text: string): string {
  return text.replace(new RegExp(MYSQL_LITERAL, 'g'), '?');
}

/**
 * Turns on MariaDB's general log into mysql.general_log (restored on close) and reads the rows of
 * one user. A named lock keeps two test processes from switching the global log under each other.
 */
export async function mariadbStatementLog(root: mysql.Connection, user: string): Promise<StatementLog> {
  const [[lock]] = (await root.query(`select get_lock('jplink_adapter_general_log', 300) as l`)) as unknown as [[{ l: number | null }]];
  if (lock?.l !== 1) throw new Error('the MariaDB general log is held by another test run for more than 5 minutes');
  const [[before]] = (await root.query(`select @@global.general_log as g, @@global.log_output as o`)) as unknown as [[{ g: number; o: string }]];
  // When the log was off, its table holds only what earlier test runs left: start empty, end empty.
  const ours = !before?.g;
  if (ours) await root.query(`truncate table mysql.general_log`);
  await root.query(`set global log_output = 'TABLE'`);
  await root.query(`set global general_log = 1`);
  const prepared = new Map<string, string[]>();
  let rowsSeen: Array<{ thread: string; kind: LoggedStatement['kind']; text: string }> = [];
  const readAll = async () => {
    const [rows] = (await root.query(
      `select thread_id as t, command_type as c, convert(argument using utf8mb4) as a from mysql.general_log where user_host like concat(?, '[%') and command_type in ('Query', 'Prepare', 'Execute')`,
      [user],
    )) as unknown as [Array<{ t: number | string; c: string; a: string | Buffer }>];
    rowsSeen = rows.map((r) => ({ thread: String(r.t), kind: r.c.toLowerCase() as LoggedStatement['kind'], text: String(r.a) }));
    prepared.clear();
    for (const r of rowsSeen) if (r.kind === 'prepare') prepared.set(r.thread, [...(prepared.get(r.thread) ?? []), r.text]);
    return rowsSeen;
  };
  return {
    user,
    async mark() {
      return (await readAll()).length;
    },
    async since(mark) {
      const rows = (await readAll()).slice(mark);
      return rows.map((r) => (r.kind === 'execute' ? { kind: r.kind, text: r.text, prepared: prepared.get(r.thread)?.find((p) => fillsPrepared(p, r.text)) } : { kind: r.kind, text: r.text }));
    },
    async close() {
      try {
        await root.query(`set global general_log = ${ours ? 0 : 1}`);
        await root.query(`set global log_output = ?`, [before?.o ?? 'FILE']);
        if (ours) await root.query(`truncate table mysql.general_log`);
      } finally {
        await root.query(`select release_lock('jplink_adapter_general_log')`);
      }
    },
  };
}
