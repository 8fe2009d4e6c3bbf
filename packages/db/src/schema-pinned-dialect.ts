// For the embedded database only. PGlite is ONE PostgreSQL session shared by every socket connection, so a
// per-connection `search_path` cannot exist there: a SET from one service would silently retarget every other
// service's unqualified names. pglite-socket does serialise explicit transactions (while one is open, only its
// connection's messages run), so this driver runs each statement inside a transaction that starts with
// `SET LOCAL search_path`: atomic with respect to other connections, and reverted at COMMIT/ROLLBACK.
// Cost: three round trips per statement outside db.transaction() (in-process, so well under a millisecond).
import {
  CompiledQuery,
  PostgresDialect,
  type DatabaseConnection,
  type Driver,
  type PostgresDialectConfig,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { quoteIdentifier } from './schema-name.ts';

export class SchemaPinnedPostgresDialect extends PostgresDialect {
  readonly #schema: string;
  constructor(config: PostgresDialectConfig, schema: string) {
    super(config);
    this.#schema = schema;
  }
  override createDriver(): Driver {
    return new SchemaPinnedDriver(super.createDriver(), this.#schema);
  }
}

const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

class PinnedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  readonly #setLocal: CompiledQuery;
  readonly #beginAndSet: CompiledQuery;
  inTransaction = false;

  constructor(inner: DatabaseConnection, setLocal: CompiledQuery) {
    this.inner = inner;
    this.#setLocal = setLocal;
    // No parameters: pg sends it with the simple protocol, which allows two statements in one round trip.
    this.#beginAndSet = CompiledQuery.raw(`begin; ${setLocal.sql}`);
  }

  get setLocal(): CompiledQuery {
    return this.#setLocal;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction) return this.inner.executeQuery<R>(query);
    await this.inner.executeQuery(this.#beginAndSet);
    let result: QueryResult<R>;
    try {
      result = await this.inner.executeQuery<R>(query);
    } catch (err) {
      await this.inner.executeQuery(ROLLBACK).catch(() => {});
      throw err;
    }
    await this.inner.executeQuery(COMMIT);
    return result;
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    if (this.inTransaction) {
      yield* this.inner.streamQuery<R>(query, chunkSize);
      return;
    }
    await this.inner.executeQuery(this.#beginAndSet);
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      await this.inner.executeQuery(ROLLBACK).catch(() => {});
      throw err;
    }
    await this.inner.executeQuery(COMMIT);
  }
}

class SchemaPinnedDriver implements Driver {
  readonly #inner: Driver;
  readonly #setLocal: CompiledQuery;
  readonly #wrapped = new WeakMap<DatabaseConnection, PinnedConnection>();

  constructor(inner: Driver, schema: string) {
    this.#inner = inner;
    this.#setLocal = CompiledQuery.raw(`set local search_path to ${quoteIdentifier(schema)}`);
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await this.#inner.acquireConnection();
    let wrapped = this.#wrapped.get(inner);
    if (!wrapped) {
      wrapped = new PinnedConnection(inner, this.#setLocal);
      this.#wrapped.set(inner, wrapped);
    }
    wrapped.inTransaction = false;
    return wrapped;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const pinned = connection as PinnedConnection;
    await this.#inner.beginTransaction(pinned.inner, settings);
    pinned.inTransaction = true;
    await pinned.inner.executeQuery(pinned.setLocal);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const pinned = connection as PinnedConnection;
    try {
      await this.#inner.commitTransaction(pinned.inner);
    } finally {
      pinned.inTransaction = false;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const pinned = connection as PinnedConnection;
    try {
      await this.#inner.rollbackTransaction(pinned.inner);
    } finally {
      pinned.inTransaction = false;
    }
  }

  async savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.savepoint?.((connection as PinnedConnection).inner, name, compileQuery);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.rollbackToSavepoint?.((connection as PinnedConnection).inner, name, compileQuery);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.releaseSavepoint?.((connection as PinnedConnection).inner, name, compileQuery);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection((connection as PinnedConnection).inner);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
