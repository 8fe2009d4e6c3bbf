// Every entry schema refuses a malformed value with an issue and never throws: each member of a
// valid manifest, record line, timestamp and certificate entry is replaced in turn by values of
// the wrong type or shape (the verifier must report, not crash, whatever a file holds).
import { beforeAll, describe, expect, it } from 'vitest';
import { certificatesSchema, parseManifest, recordLineSchema, timestampsSchema } from '../src/index.ts';
import { archiveContents, buildLog, createPki, type ArchiveContent } from './support/fixture.ts';

const BAD_VALUES: unknown[] = [null, undefined, 0, -1, 1.5, 2 ** 64, '', 'x', '-1', '1e3', '99999999999999999999999', 'AAAA', true, [], {}, [1]];

/** Every path to a value inside `value` (objects and arrays), the root included. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function replaced(value: unknown, path: Array<string | number>, by: unknown): unknown {
  if (path.length === 0) return by;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = by;
  return copy;
}

let content: ArchiveContent;

beforeAll(async () => {
  content = archiveContents(await buildLog(await createPki(), { count: 2, timestampSizes: [2] }), [2])[0]!;
});

describe('entry schemas', () => {
  const cases: Array<[string, () => unknown, (value: unknown) => boolean]> = [
    ['manifest', () => content.manifest, (v) => !('issue' in parseManifest(v))],
    ['record line', () => content.records[1], (v) => recordLineSchema.safeParse(v).success],
    ['timestamps', () => content.timestamps, (v) => timestampsSchema.safeParse(v).success],
    ['certificates', () => content.certificates.slice(0, 2), (v) => certificatesSchema.safeParse(v).success],
  ];
  it.each(cases)('%s: valid as written, and every member replaced by a bad value is refused or accepted without throwing', (_, valid, accepts) => {
    expect(accepts(valid())).toBe(true);
    let refused = 0;
    for (const path of paths(valid())) {
      for (const bad of BAD_VALUES) {
        const value = replaced(valid(), path, bad);
        let ok: boolean | undefined;
        expect(() => (ok = accepts(value)), `${path.join('.')} = ${JSON.stringify(bad)}`).not.toThrow();
        if (!ok) refused += 1;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});
