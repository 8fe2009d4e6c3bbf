// Typed values of data-service inputs (filters, keys, query parameters, bodies). Every value is
// checked against its column's or parameter's declared type before it is bound as a parameter;
// anything else is refused. Numbers travel as text so no precision is lost on the way.
import type { AdapterDialect, ColumnType } from '@jplink/contracts';

export class ValueError extends Error {}

const INTEGER = /^[+-]?\d{1,19}$/;
const NUMBER = /^[+-]?(?:\d{1,38}(?:\.\d{0,38})?|\.\d{1,38})(?:[eE][+-]?\d{1,3})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
const MAX_TEXT = 65_535;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function validDate(y: number, m: number, d: number) {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** A value given as text (query string, path) as the bound parameter of its type. */
export function parseTextValue(type: ColumnType, text: string, dialect: AdapterDialect): unknown {
  if (text.length > MAX_TEXT) throw new ValueError('the value is too long');
  if (text.includes('\u0000')) throw new ValueError('the value contains a NUL character');
  switch (type) {
    case 'string':
      return text;
    case 'integer': {
      if (!INTEGER.test(text)) throw new ValueError(`"${short(text)}" is not an integer`);
      const n = BigInt(text);
      if (n < INT64_MIN || n > INT64_MAX) throw new ValueError(`"${short(text)}" is out of the 64-bit integer range`);
      return n.toString();
    }
    case 'number':
      if (!NUMBER.test(text)) throw new ValueError(`"${short(text)}" is not a number`);
      return text;
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new ValueError('a boolean is true or false');
    case 'date': {
      const m = DATE.exec(text);
      if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw new ValueError(`"${short(text)}" is not a date (YYYY-MM-DD)`);
      return text;
    }
    case 'timestamp':
      return parseTimestamp(text, dialect);
    case 'json':
      throw new ValueError('JSON columns cannot be compared');
  }
}

function parseTimestamp(text: string, dialect: AdapterDialect): string {
  const m = TIMESTAMP.exec(text);
  if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3])) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) {
    throw new ValueError(`"${short(text)}" is not an ISO 8601 timestamp`);
  }
  if (dialect === 'postgres') return text;
  // MySQL/MariaDB DATETIME has no zone: a zoned value is converted to UTC (sessions run in UTC).
  if (!m[8]) return text.replace('T', ' ');
  const iso = new Date(text);
  if (Number.isNaN(iso.getTime())) throw new ValueError(`"${short(text)}" is not an ISO 8601 timestamp`);
  return iso.toISOString().replace('T', ' ').replace('Z', '');
}

/** A JSON body value as the bound parameter of its column's type; null only where allowed. */
export function parseJsonValue(type: ColumnType, value: unknown, dialect: AdapterDialect): unknown {
  if (value === null) return null;
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw new ValueError('must be a string');
      return parseTextValue('string', value, dialect);
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      if (typeof value === 'string') return parseTextValue('integer', value, dialect);
      throw new ValueError('must be an integer');
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'string') return parseTextValue('number', value, dialect);
      throw new ValueError('must be a number');
    case 'boolean':
      if (typeof value !== 'boolean') throw new ValueError('must be true or false');
      return value;
    case 'date':
    case 'timestamp':
      if (typeof value !== 'string') throw new ValueError('must be a string');
      return parseTextValue(type, value, dialect);
    case 'json': {
      const text = JSON.stringify(value);
      if (text.length > 1024 * 1024) throw new ValueError('the JSON value is too large');
      return text;
    }
  }
}

function short(text: string) {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** JSON Schema (OpenAPI 3.0) of a column type. */
export function jsonSchemaOf(type: ColumnType, nullable = true): Record<string, unknown> {
  const base: Record<string, unknown> = (() => {
    switch (type) {
      case 'string':
        return { type: 'string' };
      case 'integer':
        return { type: 'integer', format: 'int64', description: 'beyond ±2^53 sent as text, so no digit is lost' };
      case 'number':
        return { type: 'number', description: 'sent as text when the value has more digits than a double keeps' };
      case 'boolean':
        return { type: 'boolean' };
      case 'date':
        return { type: 'string', format: 'date' };
      case 'timestamp':
        return { type: 'string', format: 'date-time' };
      case 'json':
        return {};
    }
  })();
  return nullable && type !== 'json' ? { ...base, nullable: true } : base;
}

/** A value read from the database as JSON of its declared type (same shape from PostgreSQL and MySQL). */
export function outputValue(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      if (typeof value === 'string' || typeof value === 'bigint') {
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : String(value);
      }
      return value;
    case 'number':
      if (typeof value === 'string') {
        const n = Number(value);
        return Number.isFinite(n) && (String(n) === value || n.toString() === value.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')) ? n : value;
      }
      return value;
    case 'boolean':
      return typeof value === 'number' ? value !== 0 : typeof value === 'string' ? value === '1' || value === 't' || value === 'true' : value;
    case 'timestamp':
      if (value instanceof Date) return value.toISOString();
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(value)) return `${value.replace(' ', 'T')}Z`;
      return value;
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : value;
    case 'json':
      if (typeof value === 'string') {
        try {
          return JSON.parse(value);
        } catch {
          return value;
        }
      }
      return value;
    case 'string':
      return value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('base64') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}
