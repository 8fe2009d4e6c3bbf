// compileOnce: a statement compiled once and filled with new values per call.
import { Kysely, PostgresDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { compileOnce, slot } from '../src/index.ts';

interface Tables {
  items: { id: string; kind: string; value: string; at: Date | null };
}
// Compiling needs no connection: the pool is never asked for one here.
const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: {} as never }) }).withSchema('app');

describe('compileOnce', () => {
  it('keeps the compiled SQL and fills slots by name, constants as compiled (also a slot used twice)', () => {
    const statement = compileOnce(
      db
        .insertInto('items')
        .values({ id: slot('id'), kind: 'fixed-kind', value: slot('value'), at: slot('at') as unknown as Date })
        .onConflict((oc) => oc.column('id').doUpdateSet({ value: slot('value') })),
    );
    const at = new Date('2026-12-07T00:00:00Z');
    const a = statement({ id: 'i1', value: 'v1', at });
    const b = statement({ id: 'i2', value: 'v2', at: null });
    expect(a.sql).toBe(b.sql);
    expect(a.sql).toContain('"app"."items"');
    expect(a.parameters).toEqual(['i1', 'fixed-kind', 'v1', at, 'v1']);
    expect(b.parameters).toEqual(['i2', 'fixed-kind', 'v2', null, 'v2']);
  });

  it('refuses a call without a value for a slot', () => {
    const statement = compileOnce(db.selectFrom('items').selectAll().where('id', '=', slot('id')));
    expect(() => statement({})).toThrow('no value for id');
  });
});
