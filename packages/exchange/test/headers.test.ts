import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMessageHeader, parseRequestHeader, parseResponseHeader, writeMessage } from '../src/index.ts';
import { requestHeader, responseHeader } from './support/fixtures.ts';

const invalid = (fn: () => unknown) => expect(fn).toThrow(expect.objectContaining({ code: 'JPX_HEADER_INVALID' }));

describe('header schemas', () => {
  it('accept valid request and response headers', () => {
    expect(parseRequestHeader(requestHeader({ bodyLength: 0 })).kind).toBe('request');
    const { userId: _u, issue: _i, representedParty: _r, ...minimal } = requestHeader({ bodyLength: 0, path: '', query: '', headers: [] });
    expect(parseRequestHeader(minimal).path).toBe('');
    expect(parseResponseHeader(responseHeader(Buffer.alloc(32), { bodyLength: 12 })).status).toBe(200);
    expect(parseMessageHeader(responseHeader(Buffer.alloc(32), { bodyLength: 0 })).kind).toBe('response');
  });

  it('reject a missing field', () => {
    for (const field of ['protocol', 'messageId', 'xRoadId', 'createdAt', 'senderServer', 'targetServer', 'client', 'service', 'method', 'path', 'query', 'headers', 'bodyLength']) {
      const header = requestHeader({ bodyLength: 0 });
      delete header[field];
      invalid(() => parseRequestHeader(header));
    }
    const response = responseHeader(Buffer.alloc(32), { bodyLength: 0 });
    delete response.requestDigest;
    invalid(() => parseResponseHeader(response));
  });

  it('reject identifiers of the wrong shape', () => {
    const base = { bodyLength: 0 };
    invalid(() => parseRequestHeader(requestHeader({ ...base, client: 'JP-TEST/COM/1234567890123' }))); // a member, not a subsystem
    invalid(() => parseRequestHeader(requestHeader({ ...base, client: 'JP-TEST:COM:1234567890123:app' }))); // not canonical
    invalid(() => parseRequestHeader(requestHeader({ ...base, service: 'JP-TEST/GOV/0000000000001/juminhyo' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, targetServer: 'JP-TEST/GOV/0000000000001/ss 1' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, senderServer: 'JP-TEST/GOV//ss1' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, messageId: randomUUID().toUpperCase() })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, messageId: '00000000-0000-1000-8000-000000000000' })));
  });

  it('reject other wrong values and unknown fields', () => {
    const base = { bodyLength: 0 };
    invalid(() => parseRequestHeader(requestHeader({ ...base, protocol: 'jpx/2' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, createdAt: '2025-04-01T09:30:00Z' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, createdAt: '2025-04-01T18:30:00.000+09:00' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, path: 'v1/x' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, path: '/v1/x?y=1' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, query: 'a=1#frag' })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, headers: [['Content-Type', 'text/plain']] })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, headers: [['x-a', 'line\r\nx-b: injected']] })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, xRoadId: 'x'.repeat(257) })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, bodyLength: -1 })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, bodyLength: 1.5 })));
    invalid(() => parseRequestHeader(requestHeader({ ...base, extra: true })));
    invalid(() => parseResponseHeader(responseHeader(Buffer.alloc(31), base)));
    invalid(() => parseResponseHeader(responseHeader(Buffer.alloc(32), { ...base, status: 99 })));
    invalid(() => parseMessageHeader({ kind: 'other' }));
  });

  it('writeMessage refuses an invalid header or a wrong bodyLength', async () => {
    const sign = async () => {
      throw new Error('not reached');
    };
    await expect(writeMessage({ header: requestHeader({ client: 'bad' }), body: Buffer.alloc(0), sign })).rejects.toMatchObject({ code: 'JPX_HEADER_INVALID' });
    await expect(writeMessage({ header: requestHeader({ bodyLength: 3 }), body: Buffer.alloc(0), sign })).rejects.toMatchObject({ code: 'JPX_INVALID_ARGUMENT' });
  });
});
