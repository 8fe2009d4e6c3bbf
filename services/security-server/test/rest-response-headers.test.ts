// Response headers: what the provider's response keeps, and the X-Road headers the SS sets.
import { describe, expect, it } from 'vitest';
import { filterBackendResponseHeaders, xroadResponseHeaders } from '../src/rest/response-headers.ts';
import { formatServiceHeader, parseClientHeader } from '../src/rest/identifiers-in-headers.ts';

describe('response headers', () => {
  it('drops hop-by-hop, Connection-named, Content-Length, Server and SS-set X-Road headers', () => {
    const filtered = filterBackendResponseHeaders({
      'content-type': 'application/json',
      'content-length': '42',
      connection: 'close, x-hop',
      'x-hop': '1',
      'transfer-encoding': 'chunked',
      'keep-alive': 'timeout=5',
      server: 'nginx',
      'set-cookie': ['a=1', 'b=2'],
      'x-road-request-hash': 'forged',
      'x-road-client': 'forged',
      'x-road-service': 'forged',
      'x-road-id': 'forged',
      'x-road-request-id': 'forged',
      'cache-control': 'no-store',
      'X-Bad': 'a\r\nb',
    });
    expect(filtered).toEqual([
      ['content-type', 'application/json'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['cache-control', 'no-store'],
    ]);
  });

  it('sets X-Road-Client, -Service, -Id, -Request-Id, -Request-Hash', () => {
    const headers = xroadResponseHeaders({
      client: parseClientHeader('JP/COM/1111/client-app'),
      service: { instance: 'JP', memberClass: 'GOV', memberCode: '2222', subsystemCode: 'juminhyo', serviceCode: 'getAddress' },
      xRoadId: 'JP-1',
      requestId: 'rid',
      requestHash: 'aGFzaA==',
    });
    expect(headers).toEqual([
      ['x-road-client', 'JP/COM/1111/client-app'],
      ['x-road-service', 'JP/GOV/2222/juminhyo/getAddress'],
      ['x-road-id', 'JP-1'],
      ['x-road-request-id', 'rid'],
      ['x-road-request-hash', 'aGFzaA=='],
    ]);
  });

  it("percent-encodes '?' in identifiers, as in a URI path segment", () => {
    expect(formatServiceHeader({ instance: 'JP', memberClass: 'GOV', memberCode: '2222', subsystemCode: 'sub', serviceCode: 'what?' })).toBe('JP/GOV/2222/sub/what%3F');
  });
});
