// The MessageWriter fast path must accept only what the schemas accept, and return the same header.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fastMessageHeader, parseMessageHeader } from '../src/headers.ts';
import { requestHeader, responseHeader } from './support/fixtures.ts';

function schemaResult(value: unknown): string | undefined {
  try {
    return JSON.stringify(parseMessageHeader(value));
  } catch {
    return undefined;
  }
}

function agrees(value: unknown): void {
  const fast = fastMessageHeader(value);
  const schema = schemaResult(value);
  if (fast !== undefined) expect(JSON.stringify(fast)).toBe(schema);
}

describe('fastMessageHeader', () => {
  it('returns the schema output (fields in schema order) for valid headers', () => {
    const req = requestHeader({ bodyLength: 5 });
    const res = responseHeader(Buffer.alloc(32, 7), { bodyLength: 12 });
    for (const header of [req, res]) {
      expect(fastMessageHeader(header)).toBeDefined();
      agrees(header);
      // shuffled key order still gives schema order
      const shuffled = Object.fromEntries(Object.entries(header).reverse());
      expect(JSON.stringify(fastMessageHeader(shuffled))).toBe(schemaResult(header));
    }
    const { userId: _u, issue: _i, representedParty: _r, ...minimal } = requestHeader({ bodyLength: 0, path: '', query: '', headers: [] });
    expect(fastMessageHeader(minimal)).toBeDefined();
    agrees(minimal);
  });

  it('never accepts what the schema refuses', () => {
    const variants: Array<Record<string, unknown>> = [
      { bodyLength: -1 }, { bodyLength: 1.5 }, { bodyLength: 2 ** 53 }, { bodyLength: '1' },
      { messageId: randomUUID().toUpperCase() }, { messageId: '00000000-0000-1000-8000-000000000000' },
      { createdAt: '2025-02-29T00:00:00.000Z' }, { createdAt: '2025-01-01T24:00:00.000Z' }, { createdAt: '2025-01-01T00:00:00Z' },
      { client: 'JP-TEST/COM/1234567890123' }, { senderServer: 'JP-TEST/GOV//ss1' }, { service: 'x' },
      { method: 'GE T' }, { path: 'a' }, { path: '/a?b' }, { query: 'a#b' }, { xRoadId: '' }, { xRoadId: 'a b' },
      { headers: [['Upper', 'x']] }, { headers: [['x', 'a\nb']] }, { headers: [['x', 'a\u0001b']] }, { headers: [['x', 'a', 'b']] },
      { headers: [['x', 'v'.repeat(16_385)]] }, { headers: Array.from({ length: 1025 }, () => ['x', 'y']) }, { headers: [['x']] },
      { userId: '' }, { userId: 'a\u0007' }, { userId: 'x'.repeat(1025) }, { userId: undefined }, { issue: 3 },
      { extra: 1 }, { protocol: 'jpx/2' }, { kind: 'other' },
    ];
    for (const change of variants) {
      const header = { ...requestHeader({ bodyLength: 0 }), ...change };
      agrees(header);
      expect(fastMessageHeader(header)).toBeUndefined();
    }
    const responseVariants: Array<Record<string, unknown>> = [
      { status: 99 }, { status: 600 }, { status: 200.5 }, { requestDigest: 'A'.repeat(43) + '=' === 'x' ? '' : Buffer.alloc(31).toString('base64') },
      { requestDigest: Buffer.alloc(32).toString('base64').replace(/=$/, 'B') }, { requestDigest: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=' },
      { requestHash: '' }, { requestHash: 'a b' }, { requestHash: 'x'.repeat(1025) }, { userId: 'x' },
    ];
    for (const change of responseVariants) {
      const header = { ...responseHeader(Buffer.alloc(32), { bodyLength: 0 }), ...change };
      agrees(header);
      expect(fastMessageHeader(header)).toBeUndefined();
    }
    // valid edge values are accepted and agree
    for (const change of [{ requestDigest: Buffer.alloc(32, 0xff).toString('base64') }, { status: 100 }, { status: 599 }]) {
      const header = { ...responseHeader(Buffer.alloc(32), { bodyLength: 0 }), ...change };
      expect(fastMessageHeader(header)).toBeDefined();
      agrees(header);
    }
  });
});
