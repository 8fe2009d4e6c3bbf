// REST endpoint patterns: compilation errors, '*' and '**' matching, specificity ordering.
import { describe, expect, it } from 'vitest';
import { AclPatternError, compileEndpoint, endpointMatches, mostSpecificEndpoint } from '../src/acl/path-pattern.ts';

const matches = (method: string, path: string, reqMethod: string, reqPath: string) => endpointMatches(compileEndpoint({ method, path }), reqMethod, reqPath);

describe('compileEndpoint', () => {
  it.each([
    ['', '/a', 'EMPTY_METHOD'],
    ['GE T', '/a', 'BAD_METHOD'],
    ['G*', '/a', 'BAD_METHOD'],
    ['GET', 'a/b', 'NOT_ABSOLUTE'],
    ['GET', '/a//b', 'EMPTY_SEGMENT'],
    ['GET', '/a/../b', 'DOT_SEGMENT'],
    ['GET', '/a/%2e%2e/b', 'DOT_SEGMENT'],
    ['GET', '/a\\b', 'BAD_CHARACTER'],
    ['GET', '/a?x=1', 'BAD_CHARACTER'],
    ['GET', '/a%2Fb', 'BAD_CHARACTER'],
    ['GET', '/a%zz', 'BAD_PERCENT_ENCODING'],
    ['GET', '/a*', 'PARTIAL_WILDCARD'],
    ['GET', '/a/**/b', 'DOUBLE_WILDCARD_NOT_LAST'],
  ])('rejects method %j path %j with %s', (method, path, code) => {
    let error: unknown;
    try {
      compileEndpoint({ method, path });
    } catch (caught) {
      error = caught;
    }
    expect(error instanceof AclPatternError ? error.code : error).toBe(code);
  });
});

describe('endpointMatches', () => {
  it("'/' matches the root only", () => {
    expect(matches('GET', '/', 'GET', '/')).toBe(true);
    expect(matches('GET', '/', 'GET', '/a')).toBe(false);
  });

  it("'*' matches exactly one non-empty segment", () => {
    expect(matches('GET', '/pets/*', 'GET', '/pets/1')).toBe(true);
    expect(matches('GET', '/pets/*', 'GET', '/pets')).toBe(false);
    expect(matches('GET', '/pets/*', 'GET', '/pets/1/toys')).toBe(false);
    expect(matches('GET', '/pets/*', 'GET', '/pets/')).toBe(false);
    expect(matches('GET', '/pets/{id}/toys', 'GET', '/pets/7/toys')).toBe(true);
  });

  it("'**' matches any number of trailing segments, including none", () => {
    expect(matches('GET', '/pets/**', 'GET', '/pets')).toBe(true);
    expect(matches('GET', '/pets/**', 'GET', '/pets/')).toBe(true);
    expect(matches('GET', '/pets/**', 'GET', '/pets/1/toys/2')).toBe(true);
    expect(matches('GET', '/pets/**', 'GET', '/petshop')).toBe(false);
    expect(matches('*', '**', 'DELETE', '/')).toBe(true);
    expect(matches('*', '/**', 'PATCH', '/anything/at/all')).toBe(true);
  });

  it('is case-sensitive on paths, case-insensitive on methods, and matches decoded text', () => {
    expect(matches('GET', '/Pets', 'GET', '/pets')).toBe(false);
    expect(matches('get', '/pets', 'GET', '/pets')).toBe(true);
    expect(matches('POST', '/pets', 'GET', '/pets')).toBe(false);
    expect(matches('GET', '/住所/*', 'GET', '/住所/東京')).toBe(true);
    expect(matches('GET', '/%E4%BD%8F%E6%89%80', 'GET', '/住所')).toBe(true);
  });
});

describe('mostSpecificEndpoint', () => {
  const endpoints = [
    compileEndpoint({ method: '*', path: '/**' }),
    compileEndpoint({ method: 'GET', path: '/**' }),
    compileEndpoint({ method: '*', path: '/pets/**' }),
    compileEndpoint({ method: '*', path: '/pets/*' }),
    compileEndpoint({ method: 'GET', path: '/pets/*' }),
    compileEndpoint({ method: '*', path: '/pets/*/toys' }),
    compileEndpoint({ method: 'GET', path: '/pets/mine' }),
  ];
  const pick = (method: string, path: string) => {
    const found = mostSpecificEndpoint(endpoints, method, path);
    return found && `${found.method} ${found.path}`;
  };

  it('prefers more literal segments, then a specific method, then no **', () => {
    expect(pick('GET', '/pets/mine')).toBe('GET /pets/mine');
    expect(pick('POST', '/pets/mine')).toBe('* /pets/*');
    expect(pick('GET', '/pets/7')).toBe('GET /pets/*');
    expect(pick('DELETE', '/pets/7')).toBe('* /pets/*');
    expect(pick('GET', '/pets/7/toys')).toBe('* /pets/*/toys');
    expect(pick('GET', '/pets/7/food')).toBe('* /pets/**');
    expect(pick('GET', '/owners')).toBe('GET /**');
    expect(pick('PUT', '/owners')).toBe('* /**');
  });

  it('returns undefined when nothing matches', () => {
    expect(mostSpecificEndpoint([compileEndpoint({ method: 'GET', path: '/a' })], 'GET', '/b')).toBeUndefined();
  });
});
