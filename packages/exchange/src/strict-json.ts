// Strict JSON for frame payloads: valid UTF-8 (no BOM), valid JSON, no duplicate object keys.
// Duplicate keys are refused so that every verifier (in any language) reads a signed header the same way.
import { ExchangeError } from './errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses a JSON frame payload; any problem is JPX_MALFORMED naming `what`. */
export function parseJsonPayload(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new ExchangeError('JPX_MALFORMED', `${what} is not valid UTF-8`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ExchangeError('JPX_MALFORMED', `${what} is not valid JSON`, { cause });
  }
  // A repeated key leaves fewer keys in the parsed value than key tokens in the text; only then
  // is the text searched for the key to name.
  if (parsedKeyCount(value) !== keyTokenCount(text)) {
    const duplicate = findDuplicateKey(text);
    if (duplicate !== undefined) throw new ExchangeError('JPX_MALFORMED', `${what} repeats the key ${JSON.stringify(duplicate)}`);
  }
  return value;
}

/** Parses a JSON payload that must be an object. */
export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  const value = parseJsonPayload(bytes, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ExchangeError('JPX_MALFORMED', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Number of object keys in a parsed JSON value, all levels (iterative: any nesting depth). */
function parsedKeyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item);
      continue;
    }
    const keys = Object.keys(node);
    count += keys.length;
    for (const key of keys) {
      const item = (node as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) stack.push(item);
    }
  }
  return count;
}

/** True when the `"` at `index` is escaped (preceded by an odd number of backslashes). */
function escapedQuote(text: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; text.charCodeAt(i) === 0x5c /* \ */; i--) backslashes++;
  return (backslashes & 1) === 1;
}

/** Number of object key tokens (strings followed by ':') in `text`, already known to be valid JSON. */
function keyTokenCount(text: string): number {
  let count = 0;
  for (let open = text.indexOf('"'); open >= 0; ) {
    let close = text.indexOf('"', open + 1);
    while (escapedQuote(text, close)) close = text.indexOf('"', close + 1);
    let next = close + 1;
    let c = text.charCodeAt(next);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++next);
    if (c === 0x3a /* : */) count++;
    open = text.indexOf('"', next);
  }
  return count;
}

/** First repeated key of any object in `text` (already known to be valid JSON), else undefined. */
export function findDuplicateKey(text: string): string | undefined {
  // One entry per open container: a key set for objects, null for arrays.
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}
