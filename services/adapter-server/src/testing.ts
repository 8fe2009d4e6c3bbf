// Test support: a running Adapter Server on loopback ports with a fresh store schema, and sample
// target databases (a PostgreSQL schema and a MariaDB database) holding the same small tables.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createLogger } from '@jplink/kit';
import { createTestDatabase, testDatabaseUrl } from '@jplink/db/testing';
import { freePort } from '@jplink/testing';
import { adapterConfigSchema } from './config.ts';
import { createAdapterServer, type AdapterServer, type AdapterServerDeps } from './adapter-server.ts';
import type { AdapterTables } from './db/schema.ts';

export interface RunningAdapter {
  adapter: AdapterServer;
  adminUrl: string;
  dataUrl: string;
  dataHttpsUrl: string;
  adminKey: string;
  /** Admin API call with the key; returns status and parsed JSON (or text). */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** A data-service call as the Security Server makes it. */
  data(method: string, path: string, options?: { client?: string | null; headers?: Record<string, string>; body?: unknown }): Promise<{ status: number; headers: Headers; body: any }>;
  stop(): Promise<void>;
}

export async function startTestAdapter(env: Record<string, string> = {}, deps: Partial<Pick<AdapterServerDeps, 'registerUi' | 'now'>> = {}): Promise<RunningAdapter> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jplink-adapter-'));
  const ports = { data: await freePort(), dataHttps: await freePort(), admin: await freePort() };
  const config = adapterConfigSchema.parse({
    JPLINK_MODE: 'development',
    ADAPTER_DATA_DIR: dataDir,
    ADAPTER_SECRET_FILE: join(dataDir, 'unused'),
    ADAPTER_HOST: '127.0.0.1',
    ADAPTER_DATA_HTTP_PORT: String(ports.data),
    ADAPTER_DATA_HTTPS_PORT: String(ports.dataHttps),
    ADAPTER_ADMIN_PORT: String(ports.admin),
    ADAPTER_PUBLIC_DATA_URL: `http://127.0.0.1:${ports.data}`,
    ADAPTER_LOG_LEVEL: 'silent',
    ...env,
  });
  const database = await createTestDatabase<AdapterTables>('adapter');
  const logger = createLogger({ name: 'adapter', level: process.env.JPLINK_TEST_LOG ?? 'silent' });
  const adapter = await createAdapterServer(config, { database, logger, passphrase: 'adapter-test-passphrase', ...deps });
  const bound = await adapter.listen();
  const adminKey = (await readFile(adapter.files.adminApiKey, 'utf8')).trim();
  const adminUrl = `http://127.0.0.1:${bound.admin}`;
  const dataUrl = `http://127.0.0.1:${bound.dataHttp}`;
  const parse = async (response: Response) => {
    const text = await response.text();
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return text;
    }
  };
  return {
    adapter,
    adminUrl,
    dataUrl,
    dataHttpsUrl: `https://127.0.0.1:${bound.dataHttps}`,
    adminKey,
    async admin(method, path, body) {
      const response = await fetch(`${adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: await parse(response) };
    },
    async data(method, path, options = {}) {
      const client = options.client === undefined ? 'JP-TEST/COM/1111111111111/shopping' : options.client;
      const response = await fetch(`${dataUrl}${path}`, {
        method,
        headers: { ...(client ? { 'x-road-client': client } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
        ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
      });
      return { status: response.status, headers: response.headers, body: await parse(response) };
    },
    async stop() {
      await adapter.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Connection settings (admin API body) of a sample target, and how to drop it. */
export interface SampleTarget {
  connection: { name: string; dialect: 'postgres' | 'mysql'; host: string; port: number; database: string; username: string; password?: string };
  /** Table names as the definitions use them. */
  schema: string | undefined;
  /** Runs SQL on the target as its owner (setup and checks). */
  exec(sqlText: string, params?: unknown[]): Promise<any[]>;
  drop(): Promise<void>;
}

const SAMPLE_ROWS = [
  ['u-001', '山田 花子', 'hanako@example.jp', 1988, 'tokyo', true, '2026-04-01', '150.5'],
  ['u-002', '佐藤 太郎', 'taro@example.jp', 1975, 'osaka', false, '2025-12-24', '0.25'],
  ['u-003', "O'Brien; DROP TABLE residents; --", 'ob@example.jp', 2001, 'tokyo', true, '2026-01-15', '99999.99'],
  ['u-004', 'Ｊｏｈｎ　Ｄｏｅ', 'john@example.jp', 1960, 'sapporo', false, '2024-07-07', '12'],
] as const;

/**
 * A PostgreSQL schema on the test database with `residents` (id serial, user_id, name, email,
 * birth_year, city, active, registered_on, points) and a `secrets` table no data service names.
 */
export async function createPostgresSample(): Promise<SampleTarget> {
  const url = new URL(testDatabaseUrl());
  const schema = `adapter_sample_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => {});
  const exec = async (sqlText: string, params: unknown[] = []) => (await pool.query(sqlText, params)).rows;
  await exec(`create schema ${schema}`);
  await exec(`create table ${schema}.residents (id serial primary key, user_id text not null unique, name text not null, email text, birth_year integer, city text, active boolean not null default true, registered_on date, points numeric(12,2))`);
  await exec(`create table ${schema}.secrets (id serial primary key, secret text not null)`);
  await exec(`insert into ${schema}.secrets (secret) values ('top-secret-value')`);
  for (const r of SAMPLE_ROWS) await exec(`insert into ${schema}.residents (user_id, name, email, birth_year, city, active, registered_on, points) values ($1,$2,$3,$4,$5,$6,$7,$8)`, [...r]);
  return {
    connection: { name: 'pg-sample', dialect: 'postgres', host: url.hostname, port: Number(url.port || 5432), database: decodeURIComponent(url.pathname.slice(1)) || 'postgres', username: decodeURIComponent(url.username) || 'postgres', ...(url.password ? { password: decodeURIComponent(url.password) } : {}) },
    schema,
    exec,
    async drop() {
      await exec(`drop schema if exists ${schema} cascade`).catch(() => {});
      await pool.end();
    },
  };
}

/** The same sample in a fresh MariaDB/MySQL database on 127.0.0.1:3306 (root, empty password by default). */
export async function createMysqlSample(options: { host?: string; port?: number; user?: string; password?: string } = {}): Promise<SampleTarget> {
  const database = `jplink_sample_${randomBytes(4).toString('hex')}`;
  const base = { host: options.host ?? '127.0.0.1', port: options.port ?? 3306, user: options.user ?? 'root', password: options.password ?? '' };
  const admin = await mysql.createConnection({ ...base, multipleStatements: false, dateStrings: true });
  await admin.query(`create database ${database} character set utf8mb4`);
  await admin.query(`use ${database}`);
  const exec = async (sqlText: string, params: unknown[] = []) => {
    const [rows] = await admin.query(sqlText, params);
    return Array.isArray(rows) ? (rows as any[]) : [];
  };
  await exec(`create table residents (id int auto_increment primary key, user_id varchar(64) not null unique, name varchar(200) not null, email varchar(200), birth_year int, city varchar(64), active tinyint(1) not null default 1, registered_on date, points decimal(12,2))`);
  await exec(`create table secrets (id int auto_increment primary key, secret varchar(200) not null)`);
  await exec(`insert into secrets (secret) values ('top-secret-value')`);
  for (const r of SAMPLE_ROWS) await exec(`insert into residents (user_id, name, email, birth_year, city, active, registered_on, points) values (?,?,?,?,?,?,?,?)`, [...r]);
  return {
    connection: { name: 'mysql-sample', dialect: 'mysql', host: base.host, port: base.port, database, username: base.user, ...(base.password ? { password: base.password } : {}) },
    schema: undefined,
    exec,
    async drop() {
      await exec(`drop database if exists ${database}`).catch(() => {});
      await admin.end();
    },
  };
}
