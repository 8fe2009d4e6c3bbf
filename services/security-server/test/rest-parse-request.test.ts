// PR-REST request parsing: identifiers, optional X-Road headers, header forwarding and path tricks.
import { describe, expect, it } from 'vitest';
import { XRoadError } from '../src/errors.ts';
import { parsePrRestRequest, type PrRestRequestInput } from '../src/rest/parse-request.ts';

const CLIENT = 'JP/COM/1111/client-app';
const BASE = '/r1/JP/GOV/2222/juminhyo/getAddress';

function parse(rawUrl: string, headers: PrRestRequestInput['headers'] = {}, method = 'GET') {
  return parsePrRestRequest({ method, rawUrl, headers: { 'x-road-client': CLIENT, ...headers } });
}

function rejection(fn: () => unknown): XRoadError {
  try {
    fn();
  } catch (error) {
    if (error instanceof XRoadError) return error;
    throw error;
  }
  throw new Error('expected an XRoadError');
}

const rejected = (rawUrl: string, headers: PrRestRequestInput['headers'] = {}) => rejection(() => parse(rawUrl, headers)).type;

describe('parsePrRestRequest: valid requests', () => {
  it('parses every identifier and optional header', () => {
    const request = parsePrRestRequest({
      method: 'POST',
      rawUrl: `${BASE}/persons/123?fields=name&lang=ja`,
      headers: {
        host: 'ss1.example.jp:8080',
        'user-agent': 'curl/8',
        'content-type': 'application/json',
        'content-length': '12',
        accept: 'application/json',
        'x-road-client': CLIENT,
        'x-road-id': 'query-0001',
        'x-road-userid': 'JP1234567890',
        'x-road-issue': 'case 42',
        'x-road-security-server': 'JP/GOV/2222/ss-a',
        'x-road-represented-party': 'COM/3333',
        'x-custom': 'kept',
      },
    });
    expect(request.method).toBe('POST');
    expect(request.client).toEqual({ instance: 'JP', memberClass: 'COM', memberCode: '1111', subsystemCode: 'client-app' });
    expect(request.service).toEqual({ instance: 'JP', memberClass: 'GOV', memberCode: '2222', subsystemCode: 'juminhyo', serviceCode: 'getAddress' });
    expect(request.path).toBe('/persons/123');
    expect(request.normalizedPath).toBe('/persons/123');
    expect(request.query).toBe('fields=name&lang=ja');
    expect(request.xRoadId).toBe('query-0001');
    expect(request.userId).toBe('JP1234567890');
    expect(request.issue).toBe('case 42');
    expect(request.securityServer).toEqual({ instance: 'JP', memberClass: 'GOV', memberCode: '2222', serverCode: 'ss-a' });
    expect(request.representedParty).toEqual({ memberClass: 'COM', memberCode: '3333' });
    expect(request.forwardHeaders).toEqual([
      ['content-type', 'application/json'],
      ['accept', 'application/json'],
      ['x-road-client', CLIENT],
      ['x-road-id', 'query-0001'],
      ['x-road-userid', 'JP1234567890'],
      ['x-road-issue', 'case 42'],
      ['x-road-security-server', 'JP/GOV/2222/ss-a'],
      ['x-road-represented-party', 'COM/3333'],
      ['x-custom', 'kept'],
    ]);
  });

  it('accepts a represented party without class, and no optional headers', () => {
    const request = parse(BASE, { 'x-road-represented-party': '3333' });
    expect(request.representedParty).toEqual({ memberCode: '3333' });
    expect(request.xRoadId).toBeUndefined();
    expect(request.securityServer).toBeUndefined();
    expect(request.path).toBe('');
    expect(request.normalizedPath).toBe('/');
    expect(request.query).toBe('');
  });

  it('keeps Japanese (UTF-8, percent-encoded) encoded in path and decoded in normalizedPath', () => {
    const encoded = `/${encodeURIComponent('住所')}/${encodeURIComponent('東京都千代田区')}`;
    const request = parse(`${BASE}${encoded}?q=${encodeURIComponent('検索')}`);
    expect(request.path).toBe(encoded);
    expect(request.normalizedPath).toBe('/住所/東京都千代田区');
    expect(request.query).toBe(`q=${encodeURIComponent('検索')}`);
  });

  it('decodes identifier segments one by one', () => {
    const request = parse('/r1/JP/GOV/2222/sub%2Done/svc%3F');
    expect(request.service.subsystemCode).toBe('sub-one');
    expect(request.service.serviceCode).toBe('svc?');
  });

  it('keeps a single trailing slash and maps "/" to the root', () => {
    expect(parse(`${BASE}/items/`).normalizedPath).toBe('/items/');
    expect(parse(`${BASE}/`).normalizedPath).toBe('/');
  });

  it('drops hop-by-hop headers, those named in Connection, and the ones the SS sets', () => {
    const request = parse(`${BASE}/x`, {
      connection: 'keep-alive, X-Secret-Hop',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic abc',
      'proxy-authenticate': 'Basic',
      te: 'trailers',
      trailer: 'x-checksum',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      host: 'ss',
      'user-agent': 'ua',
      server: 'srv',
      'content-length': '0',
      expect: '100-continue',
      'x-secret-hop': 'hop only',
      'x-road-request-id': 'forged',
      'x-road-request-hash': 'forged',
      'x-road-service': 'forged',
      authorization: 'Bearer end-to-end',
    });
    expect(request.forwardHeaders).toEqual([
      ['x-road-client', CLIENT],
      ['authorization', 'Bearer end-to-end'],
    ]);
  });

  it('lets the last X-Road-Client win when repeated (array or comma-joined by Node)', () => {
    expect(parse(BASE, { 'x-road-client': ['JP/COM/1111/first', 'JP/COM/1111/last'] }).client.subsystemCode).toBe('last');
    const joined = parse(BASE, { 'x-road-client': 'JP/COM/1111/first, JP/COM/1111/last' });
    expect(joined.client.subsystemCode).toBe('last');
    expect(joined.forwardHeaders).toEqual([['x-road-client', 'JP/COM/1111/last']]);
  });
});

describe('parsePrRestRequest: rejections are client.bad_request', () => {
  it.each([
    ['%2e%2e', `${BASE}/public/%2e%2e/admin`, /dot segment/],
    ['%2E%2E upper case', `${BASE}/public/%2E%2E/admin`, /dot segment/],
    ['.%2e', `${BASE}/public/.%2e/admin`, /dot segment/],
    ['..', `${BASE}/public/../admin`, /dot segment/],
    ['.', `${BASE}/./admin`, /dot segment/],
    ['..;', `${BASE}/public/..;/admin`, /dot segment/],
    ['%2F', `${BASE}/a%2Fb`, /encoded slash/],
    ['%2f', `${BASE}/a%2fb`, /encoded slash/],
    ['%5C', `${BASE}/a%5Cb`, /encoded slash or backslash/],
    ['%00', `${BASE}/a%00b`, /NUL/],
    ['%252e%252e', `${BASE}/public/%252e%252e/admin`, /double-encoded/],
    ['%252F', `${BASE}/a%252Fb`, /double-encoded/],
    ['//', `${BASE}//admin`, /empty segment/],
    ['// inside', `${BASE}/a//b`, /empty segment/],
    ['backslash', `${BASE}/a\\..\\b`, /backslash/],
    ['full-width dots', `${BASE}/${encodeURIComponent('．．')}/admin`, /equivalent/],
    ['bad percent-encoding', `${BASE}/a%zz`, /percent-encoding/],
    ['truncated percent', `${BASE}/a%2`, /percent-encoding/],
    ['invalid UTF-8', `${BASE}/a%ff`, /percent-encoding/],
    ['encoded control', `${BASE}/a%0d%0aX`, /control/],
    ['raw space', `${BASE}/a b`, /must be percent-encoded/],
    ['raw non-ASCII', `${BASE}/住所`, /must be percent-encoded/],
    ['fragment', `${BASE}/a#b`, /must be percent-encoded/],
    ['6 segments', '/r1/JP/GOV/2222/getAddress', /all identifier segments/],
    ['wrong prefix /r2/', '/r2/JP/GOV/2222/juminhyo/getAddress', /protocol version/],
    ['other prefix', '/rest/JP/GOV/2222/juminhyo/getAddress', /request path must be/],
    ['absolute-form target', 'http://ss/r1/JP/GOV/2222/juminhyo/getAddress', /request path must be/],
    ['empty segment', '/r1/JP//2222/juminhyo/getAddress', /member class segment .* empty/],
    ['bad identifier chars', '/r1/JP/GOV/22*22/juminhyo/getAddress', /member code segment/],
    ['encoded slash in identifier', '/r1/JP/GOV/22%2F22/juminhyo/getAddress', /member code segment/],
  ])('rejects %s', (_name, rawUrl, message) => {
    const error = rejection(() => parse(rawUrl));
    expect({ type: error.type, reason: message.test(error.message) }).toEqual({ type: 'client.bad_request', reason: true });
  });

  it('rejects a missing X-Road-Client', () => {
    expect(rejection(() => parsePrRestRequest({ method: 'GET', rawUrl: BASE, headers: {} })).type).toBe('client.bad_request');
  });

  it('rejects a client with 3 parts (members are not clients)', () => {
    expect(rejected(BASE, { 'x-road-client': 'JP/COM/1111' })).toBe('client.bad_request');
  });

  it('rejects bad identifier characters in X-Road-Client', () => {
    expect(rejected(BASE, { 'x-road-client': 'JP/COM/11 11/app' })).toBe('client.bad_request');
    expect(rejected(BASE, { 'x-road-client': 'JP/COM/1111/app*' })).toBe('client.bad_request');
  });

  it('rejects CR/LF in a header value', () => {
    expect(rejected(BASE, { 'x-custom': 'a\r\nx-road-client: JP/COM/9/evil' })).toBe('client.bad_request');
    expect(rejected(BASE, { 'x-road-userid': 'JP1\nX' })).toBe('client.bad_request');
  });

  it('rejects an invalid X-Road-Security-Server, X-Road-Represented-Party and X-Road-Id', () => {
    expect(rejected(BASE, { 'x-road-security-server': 'JP/GOV/2222' })).toBe('client.bad_request');
    expect(rejected(BASE, { 'x-road-represented-party': 'A/B/C' })).toBe('client.bad_request');
    expect(rejected(BASE, { 'x-road-id': 'x'.repeat(257) })).toBe('client.bad_request');
    expect(rejected(BASE, { 'x-road-id': 'tab\there' })).toBe('client.bad_request');
  });

  it('rejects unsupported methods', () => {
    expect(rejection(() => parse(BASE, {}, 'CONNECT')).type).toBe('client.bad_request');
  });

  it('answers 400', () => {
    expect(rejection(() => parse(`${BASE}/a%2Fb`)).status).toBe(400);
  });
});
