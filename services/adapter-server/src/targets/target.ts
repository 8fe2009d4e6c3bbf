// A member's database behind data services ("target"): pools for PostgreSQL (pg) and
// MySQL/MariaDB (mysql2). Reads run on pools whose sessions are read-only
// (default_transaction_read_only / SESSION TRANSACTION READ ONLY), so a read can never write, and
// every session carries its statement timeout, so a statement costs one round trip. Pools are
// keyed by (mode, timeout); each holds at most the connection's poolMax sessions.
import pg from 'pg';
import Cursor from 'pg-cursor';
import mysql from 'mysql2';
import { AppError } from '@jplink/kit';
import type { AdapterDialect } from '@jplink/contracts';
import { ADAPTER_ERRORS as E } from '../errors.ts';

export interface TargetSettings {
  name: string;
  dialect: AdapterDialect;
  host: string;
  port: number;
  database: string;
  username: string;
  password: string | undefined;
  tls: 'disable' | 'require' | 'verify-full';
  poolMax: number;
  statementTimeoutMs: number;
}

export type Flavor = 'postgres' | 'mysql' | 'mariadb';
export type Mode = 'read' | 'write';
export type Row = Record<string, unknown>;

export interface QueryResult {
  rows: Row[];
  /** More rows existed than `maxRows` (only when a row limit was asked for). */
  truncated: boolean;
  /** Rows changed (writes). */
  affected: number;
}

/** One statement on one session; a transaction passes the same session to several statements. */
export interface Session {
  run(sql: string, params: readonly unknown[], options?: { maxRows?: number }): Promise<QueryResult>;
}

export interface Target {
  readonly settings: TargetSettings;
  flavor(): Promise<Flavor>;
  /** One statement in autocommit on a pool of the given mode and timeout. */
  /**
   * One statement in autocommit on a pool of the given mode and timeout. `prepared` names a statement
   * whose text never changes (PostgreSQL then parses and plans it once per session).
   */
  run(mode: Mode, timeoutMs: number, sql: string, params: readonly unknown[], options?: { maxRows?: number; prepared?: string }): Promise<QueryResult>;
  /** Several statements in one transaction (read-only for mode 'read'). */
  transaction<T>(mode: Mode, timeoutMs: number, work: (session: Session) => Promise<T>): Promise<T>;
  /** Server version text (connection test). */
  version(): Promise<string>;
  close(): Promise<void>;
}

export function createTarget(settings: TargetSettings): Target {
  return settings.dialect === 'postgres' ? new PostgresTarget(settings) : new MysqlTarget(settings);
}

// ---------------------------------------------------------------------------------------- errors

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST']);

/** Database errors as stable catalogue errors; the driver's message stays in the log (cause). */
export function translateDbError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = error as { code?: string; errno?: number; message?: string };
  const code = typeof e.code === 'string' ? e.code : '';
  const errno = typeof e.errno === 'number' ? e.errno : 0;
  if (CONNECT_CODES.has(code) || /^08/.test(code) || code === '28P01' || code === '28000' || code === '3D000' || code === '57P03' || errno === 1045 || errno === 1049 || errno === 1040 || errno === 2013 || /timeout exceeded when trying to connect|Connection terminated/i.test(e.message ?? '')) {
    return new AppError(E.ADAPTER_TARGET_UNAVAILABLE, { cause: error });
  }
  if (code === '57014' || errno === 1969 || errno === 3024) return new AppError(E.ADAPTER_STATEMENT_TIMEOUT, { cause: error });
  // A read session refused a write: the definition (a query declared read-only) is wrong, not the call.
  if (code === '25006' || errno === 1792) return new AppError(E.ADAPTER_READ_ONLY_VIOLATION, { cause: error });
  if (/^23/.test(code) || [1062, 1451, 1452, 1048, 1364, 3819, 4025].includes(errno)) return new AppError(E.ADAPTER_CONSTRAINT_VIOLATION, { cause: error });
  if (/^22/.test(code) || [1264, 1406, 1292, 1366, 1265, 1367].includes(errno)) return new AppError(E.ADAPTER_PARAMETER_INVALID, { cause: error, detail: { reason: 'the database refused a value (type, range or length)' } });
  return new AppError(E.ADAPTER_TARGET_FAILED, { cause: error });
}

// ------------------------------------------------------------------------------------ PostgreSQL

// Dates stay 'YYYY-MM-DD' (pg would turn them into local-midnight Date objects).
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 1082) return (text: string) => text;
    return (pg.types.getTypeParser as (oid: number, format?: string) => (t: string) => unknown)(oid, format);
  },
};

class PostgresTarget implements Target {
  readonly #pools = new Map<string, pg.Pool>();
  #flavor: Flavor = 'postgres';
  readonly settings: TargetSettings;
  constructor(settings: TargetSettings) {
    this.settings = settings;
  }

  #pool(mode: Mode, timeoutMs: number): pg.Pool {
    const key = `${mode}:${timeoutMs}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      const s = this.settings;
      const options = [`-c statement_timeout=${Math.trunc(timeoutMs)}`, `-c lock_timeout=${Math.trunc(timeoutMs)}`];
      if (mode === 'read') options.push('-c default_transaction_read_only=on');
      pool = new pg.Pool({
        host: s.host,
        port: s.port,
        database: s.database,
        user: s.username,
        ...(s.password !== undefined ? { password: s.password } : {}),
        ssl: s.tls === 'disable' ? false : { rejectUnauthorized: s.tls === 'verify-full' },
        max: s.poolMax,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 5_000,
        options: options.join(' '),
        application_name: `jplink-adapter:${s.name}`,
        types: pgTypes,
      });
      // An idle session that dies (database restart) must not crash the process.
      pool.on('error', () => {});
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async flavor() {
    return this.#flavor;
  }

  async version() {
    const result = await this.run('read', this.settings.statementTimeoutMs, 'SELECT version() AS v', []);
    return String(result.rows[0]?.v ?? '');
  }

  async run(mode: Mode, timeoutMs: number, text: string, params: readonly unknown[], options: { maxRows?: number; prepared?: string } = {}) {
    const pool = this.#pool(mode, timeoutMs);
    if (options.maxRows === undefined) {
      try {
        const result = await pool.query(options.prepared ? { ...extended(text, params), name: options.prepared } : extended(text, params));
        return { rows: result.rows as Row[], truncated: false, affected: result.rowCount ?? 0 };
      } catch (error) {
        throw translateDbError(error);
      }
    }
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw translateDbError(error);
    }
    try {
      return await pgSession(client).run(text, params, options);
    } finally {
      client.release();
    }
  }

  async transaction<T>(mode: Mode, timeoutMs: number, work: (session: Session) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool(mode, timeoutMs).connect();
    } catch (error) {
      throw translateDbError(error);
    }
    let broken = false;
    try {
      await client.query(mode === 'read' ? 'BEGIN READ ONLY' : 'BEGIN');
      const result = await work(pgSession(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw translateDbError(error);
    } finally {
      client.release(broken);
    }
  }

  async close() {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
  }
}

/**
 * Always the extended protocol, also without values: a Parse message holds exactly one statement,
 * so the database itself refuses stacked statements (the simple protocol would run them all).
 */
function extended(text: string, params: readonly unknown[]): pg.QueryConfig {
  return { text, values: params as unknown[], queryMode: 'extended' } as pg.QueryConfig;
}

function pgSession(client: pg.PoolClient): Session {
  return {
    async run(text, params, options = {}) {
      try {
        if (options.maxRows === undefined) {
          const result = await client.query(extended(text, params));
          return { rows: result.rows as Row[], truncated: false, affected: result.rowCount ?? 0 };
        }
        // A cursor reads one row more than allowed: the statement never produces more for us.
        const cursor = client.query(new Cursor(text, params as unknown[], { types: pgTypes }));
        try {
          const limit = options.maxRows + 1;
          const { rows, rowCount } = await new Promise<{ rows: Row[]; rowCount: number | null }>((resolve, reject) => {
            cursor.read(limit, (error, rows, result) => (error ? reject(error) : resolve({ rows: rows as Row[], rowCount: result?.rowCount ?? null })));
          });
          const truncated = rows.length > options.maxRows;
          if (truncated) rows.length = options.maxRows;
          // A write without RETURNING yields no rows: its command tag says how many it changed.
          return { rows, truncated, affected: rowCount ?? rows.length };
        } finally {
          await cursor.close();
        }
      } catch (error) {
        throw translateDbError(error);
      }
    },
  };
}

// ---------------------------------------------------------------------------------- MySQL/MariaDB

type MysqlPool = mysql.Pool;
type MysqlConnection = mysql.PoolConnection;

class MysqlTarget implements Target {
  readonly #pools = new Map<string, MysqlPool>();
  #flavor: Promise<Flavor> | undefined;
  readonly settings: TargetSettings;
  constructor(settings: TargetSettings) {
    this.settings = settings;
  }

  flavor(): Promise<Flavor> {
    this.#flavor ??= new Promise<Flavor>((resolve, reject) => {
      const connection = mysql.createConnection(this.#connectionOptions());
      connection.query('SELECT VERSION() AS v', (error, rows) => {
        connection.destroy();
        if (error) {
          this.#flavor = undefined;
          reject(translateDbError(error));
          return;
        }
        const version = String((rows as Row[])[0]?.v ?? '');
        resolve(/mariadb/i.test(version) ? 'mariadb' : 'mysql');
      });
    });
    return this.#flavor;
  }

  #connectionOptions(): mysql.ConnectionOptions {
    const s = this.settings;
    return {
      host: s.host,
      port: s.port,
      database: s.database,
      user: s.username,
      ...(s.password !== undefined ? { password: s.password } : {}),
      ...(s.tls === 'disable' ? {} : { ssl: { rejectUnauthorized: s.tls === 'verify-full' } }),
      connectTimeout: 5_000,
      // Values exactly as the database has them: no time-zone shifts, no precision loss.
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      // One statement per call, always: stacked statements are a syntax error.
      multipleStatements: false,
      charset: 'utf8mb4',
      timezone: 'Z',
    };
  }

  async #pool(mode: Mode, timeoutMs: number): Promise<MysqlPool> {
    const flavor = await this.flavor();
    const key = `${mode}:${timeoutMs}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = mysql.createPool({ ...this.#connectionOptions(), connectionLimit: this.settings.poolMax, maxIdle: this.settings.poolMax, idleTimeout: 30_000, waitForConnections: true, queueLimit: 0 });
      const timeout = flavor === 'mariadb' ? `SET SESSION max_statement_time = ${(Math.trunc(timeoutMs) / 1000).toFixed(3)}` : `SET SESSION max_execution_time = ${Math.trunc(timeoutMs)}`;
      // Commands on one connection run in order, so these run before the first statement.
      pool.on('connection', (connection) => {
        connection.query(timeout);
        connection.query(`SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(timeoutMs / 1000))}`);
        if (mode === 'read') connection.query('SET SESSION TRANSACTION READ ONLY');
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async version() {
    const result = await this.run('read', this.settings.statementTimeoutMs, 'SELECT VERSION() AS v', []);
    return String(result.rows[0]?.v ?? '');
  }

  async run(mode: Mode, timeoutMs: number, text: string, params: readonly unknown[], options: { maxRows?: number; prepared?: string } = {}) {
    const pool = await this.#pool(mode, timeoutMs);
    const connection = await new Promise<MysqlConnection>((resolve, reject) => pool.getConnection((error, c) => (error ? reject(translateDbError(error)) : resolve(c))));
    try {
      return await mysqlSession(connection).run(text, params, options);
    } finally {
      connection.release();
    }
  }

  async transaction<T>(mode: Mode, timeoutMs: number, work: (session: Session) => Promise<T>): Promise<T> {
    const pool = await this.#pool(mode, timeoutMs);
    const connection = await new Promise<MysqlConnection>((resolve, reject) => pool.getConnection((error, c) => (error ? reject(translateDbError(error)) : resolve(c))));
    const session = mysqlSession(connection);
    let broken = false;
    try {
      await session.run(mode === 'read' ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION', []);
      const result = await work(session);
      await session.run('COMMIT', []);
      return result;
    } catch (error) {
      await session.run('ROLLBACK', []).catch(() => {
        broken = true;
      });
      throw translateDbError(error);
    } finally {
      if (broken) connection.destroy();
      else connection.release();
    }
  }

  async close() {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => new Promise<void>((resolve) => p.end(() => resolve()))));
  }
}

function mysqlSession(connection: MysqlConnection): Session {
  return {
    run(text, params, options = {}) {
      return new Promise<QueryResult>((resolve, reject) => {
        const rows: Row[] = [];
        let truncated = false;
        let affected = 0;
        let settled = false;
        let resultSet = false;
        // Values are bound server-side (prepared statements); text without values goes as is.
        const query = params.length === 0 ? connection.query(text) : connection.execute(text, params as never);
        query.on('fields', (fields: unknown) => {
          resultSet = Array.isArray(fields) && fields.length > 0;
        });
        query.on('error', (error) => {
          if (settled) return;
          settled = true;
          reject(translateDbError(error));
        });
        query.on('result', (row: unknown) => {
          if (!resultSet || (row as object | null)?.constructor?.name === 'ResultSetHeader') {
            // No column definitions came first: this is the OK packet of a write.
            affected = (row as { affectedRows?: number }).affectedRows ?? 0;
            return;
          }
          if (options.maxRows !== undefined && rows.length >= options.maxRows) {
            // One row more than allowed: stop reading (the rest is discarded by the driver).
            truncated = true;
            return;
          }
          rows.push(row as Row);
        });
        query.on('end', () => {
          if (settled) return;
          settled = true;
          resolve({ rows, truncated, affected: affected || rows.length });
        });
      });
    },
  };
}
