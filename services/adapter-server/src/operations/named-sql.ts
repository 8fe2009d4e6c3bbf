// Named queries: one SQL statement written by the member's admin, with `:name` placeholders. The
// text is scanned once when the data service is saved (string literals, quoted identifiers,
// comments and PostgreSQL `::` casts, E'' strings and dollar quotes are skipped) and split into
// fixed SQL fragments and parameter slots; callers only ever supply values for the slots.
import type { AdapterDialect } from '@jplink/contracts';

export class NamedSqlError extends Error {}

export interface NamedSql {
  /** Fixed SQL text between the slots (fragments.length === slots.length + 1). */
  fragments: string[];
  /** Parameter name of each slot, in order (a name may repeat). */
  slots: string[];
}

export function parseNamedSql(text: string, dialect: AdapterDialect): NamedSql {
  const fragments: string[] = [];
  const slots: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  const skipQuoted = (quote: string, backslashEscapes: boolean) => {
    i++;
    while (i < n) {
      const c = text[i]!;
      if (backslashEscapes && c === '\\') {
        i += 2;
        continue;
      }
      if (c === quote) {
        if (text[i + 1] === quote) {
          i += 2;
          continue;
        }
        i++;
        return;
      }
      i++;
    }
    throw new NamedSqlError(`unterminated ${quote === "'" ? 'string literal' : 'quoted identifier'}`);
  };
  let statementEnded = false;
  while (i < n) {
    const c = text[i]!;
    if (statementEnded && !/\s/.test(c)) {
      // Allow trailing comments after a final ';' but nothing else.
      if (c === '-' && text[i + 1] === '-') {
        const end = text.indexOf('\n', i);
        i = end === -1 ? n : end + 1;
        continue;
      }
      throw new NamedSqlError('only one SQL statement is allowed (text follows ";")');
    }
    if ((c === 'E' || c === 'e') && text[i + 1] === "'" && dialect === 'postgres' && !/[A-Za-z0-9_$]/.test(text[i - 1] ?? '')) {
      // PostgreSQL escape string E'…': a backslash escapes the quote, as in MySQL strings.
      i++;
      skipQuoted("'", true);
    } else if (c === "'") skipQuoted("'", dialect === 'mysql');
    else if (c === '"') skipQuoted('"', dialect === 'mysql');
    else if (c === '`' && dialect === 'mysql') skipQuoted('`', false);
    else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '#' && dialect === 'mysql') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new NamedSqlError('unterminated comment');
      i = end + 2;
    } else if (c === '$' && dialect === 'postgres' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(text.slice(i, i + 65))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 65))![0];
      const end = text.indexOf(tag, i + tag.length);
      if (end === -1) throw new NamedSqlError('unterminated dollar-quoted string');
      i = end + tag.length;
    } else if (c === '$' && dialect === 'postgres' && /^\$\d/.test(text.slice(i, i + 2))) {
      throw new NamedSqlError('use :name placeholders, not $1');
    } else if (c === '?' && dialect === 'mysql') {
      throw new NamedSqlError('use :name placeholders, not ?');
    } else if (c === ':' && text[i + 1] === ':') {
      i += 2; // PostgreSQL cast
    } else if (c === ':' && /[A-Za-z_]/.test(text[i + 1] ?? '') && !/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))![0];
      fragments.push(text.slice(start, i));
      slots.push(name);
      i += 1 + name.length;
      start = i;
    } else if (c === ';') {
      statementEnded = true;
      fragments.push(text.slice(start, i));
      start = n;
      i++;
    } else i++;
  }
  if (!statementEnded) fragments.push(text.slice(start));
  if (fragments.join('').trim() === '' && slots.length === 0) throw new NamedSqlError('the query is empty');
  return { fragments, slots };
}
