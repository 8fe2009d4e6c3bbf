import type { LogEvent } from 'kysely';

/** The subset of a pino logger this package uses. Objects logged here never contain query parameters. */
export interface DbLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: DbLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** SQLSTATE class 23 (integrity constraint violation) is routine for callers that handle it; log it quietly. */
function isExpectedFailure(code: unknown): boolean {
  return typeof code === 'string' && code.startsWith('23');
}

/**
 * Kysely `log` hook: SQL text and duration only, never parameters, and only the SQLSTATE of a failure
 * (PostgreSQL messages can quote values, e.g. "invalid input syntax for type integer: \"…\"").
 */
export function kyselyLogHook(logger: DbLogger, schema: string): (event: LogEvent) => void {
  return (event) => {
    const entry = { schema, sql: event.query.sql, durationMs: Math.round(event.queryDurationMillis * 10) / 10 };
    if (event.level === 'query') {
      logger.debug(entry, 'db query');
      return;
    }
    const code = (event.error as { code?: unknown } | null)?.code;
    const withCode = { ...entry, code: typeof code === 'string' ? code : undefined };
    if (isExpectedFailure(code)) logger.debug(withCode, 'db query failed');
    else logger.warn(withCode, 'db query failed');
  };
}
