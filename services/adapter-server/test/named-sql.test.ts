// Named queries are scanned once: placeholders outside literals, comments and casts become bound
// parameters; anything that would be a second statement is refused.
import { describe, expect, it } from 'vitest';
import { NamedSqlError, parseNamedSql } from '../src/operations/named-sql.ts';

describe('parseNamedSql', () => {
  it('splits the text at :name placeholders', () => {
    expect(parseNamedSql('select * from t where a = :a and b > :b or c = :a', 'postgres')).toEqual({
      fragments: ['select * from t where a = ', ' and b > ', ' or c = ', ''],
      slots: ['a', 'b', 'a'],
    });
  });

  it('ignores :words inside literals, quoted identifiers, comments, casts and dollar quotes', () => {
    const text = `select ':x', "a:y", $$ :z $$, $t$ :w $t$, v::int -- :c\n/* :d */ from t where k = :k`;
    expect(parseNamedSql(text, 'postgres').slots).toEqual(['k']);
    expect(parseNamedSql("select ':x', `a:y`, 'it\\'s :q' # :c\nfrom t where k = :k", 'mysql').slots).toEqual(['k']);
  });

  it('accepts one trailing semicolon and refuses a second statement', () => {
    expect(parseNamedSql('select 1;  -- done\n', 'postgres').fragments).toEqual(['select 1']);
    expect(() => parseNamedSql('select 1; delete from t', 'postgres')).toThrow(NamedSqlError);
    expect(() => parseNamedSql("select ';' ; drop table t", 'mysql')).toThrow(NamedSqlError);
  });

  it('refuses positional placeholders and unterminated text', () => {
    expect(() => parseNamedSql('select * from t where a = $1', 'postgres')).toThrow(/:name/);
    expect(() => parseNamedSql('select * from t where a = ?', 'mysql')).toThrow(/:name/);
    expect(() => parseNamedSql("select 'abc", 'postgres')).toThrow(/unterminated/);
    expect(() => parseNamedSql('select /* x', 'postgres')).toThrow(/unterminated/);
    expect(() => parseNamedSql('   ', 'postgres')).toThrow(/empty/);
  });
});
