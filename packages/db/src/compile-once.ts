// Statements on a hot path: built with kysely once, then run with new values as the same SQL text
// (kysely would otherwise rebuild and recompile the statement on every call).
import { CompiledQuery, type Compilable } from 'kysely';

/** A parameter slot in a statement compiled once (see `compileOnce`). */
export const slot = (name: string) => `\u0000slot:${name}`;

/**
 * Compiles a query built with slots once; each call then fills the slots (by name) into the same SQL
 * text, so kysely does not rebuild and recompile the statement on every call. Values that are not slots
 * (constants given to the builder) stay as compiled. Run it with `db.executeQuery(statement(values))`.
 */
export function compileOnce<R>(query: Compilable<R>): (values: Record<string, unknown>) => CompiledQuery<R> {
  const compiled = query.compile();
  const fill = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith('\u0000slot:') ? { name: p.slice(6) } : { fixed: p }));
  return (values) => {
    const parameters = fill.map((f) => {
      if ('fixed' in f) return f.fixed;
      if (!(f.name in values)) throw new Error(`no value for ${f.name}`);
      return values[f.name];
    });
    return CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<R>;
  };
}

