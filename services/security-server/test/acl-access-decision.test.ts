// Access decisions: deny by default, whole-service and endpoint grants, local groups.
import type { ServiceId, SubsystemId } from '@jplink/contracts';
import { describe, expect, it } from 'vitest';
import { XRoadError } from '../src/errors.ts';
import { compileGrants, decideAccess, type AccessGrant } from '../src/acl/access-decision.ts';
import { parsePrRestRequest } from '../src/rest/parse-request.ts';

const alice: SubsystemId = { instance: 'JP', memberClass: 'COM', memberCode: '1111', subsystemCode: 'alice' };
const bob: SubsystemId = { instance: 'JP', memberClass: 'COM', memberCode: '1111', subsystemCode: 'bob' };
const carol: SubsystemId = { instance: 'JP', memberClass: 'ORG', memberCode: '3333', subsystemCode: 'carol' };
const service = (serviceCode: string): ServiceId => ({ instance: 'JP', memberClass: 'GOV', memberCode: '2222', subsystemCode: 'city', serviceCode });
const pets = service('pets');

function decide(grants: AccessGrant[], client: SubsystemId, method: string, normalizedPath: string, groups: Record<string, SubsystemId[]> = {}) {
  return decideAccess({ grants, groups, client, service: pets, method, normalizedPath });
}

describe('decideAccess', () => {
  it('denies by default', () => {
    const decision = decide([], alice, 'GET', '/');
    expect(decision.allowed).toBe(false);
    expect(decision.matchedGrant).toBeUndefined();
  });

  it('a whole-service grant allows every endpoint and method', () => {
    const grant: AccessGrant = { subject: { kind: 'subsystem', id: alice }, serviceCode: 'pets' };
    for (const [method, path] of [['GET', '/'], ['DELETE', '/pets/1'], ['POST', '/a/b/c']] as const) {
      const decision = decide([grant], alice, method, path);
      expect(decision.allowed).toBe(true);
      expect(decision.matchedGrant).toBe(grant);
    }
  });

  it('an endpoint grant allows only matching requests (* and **)', () => {
    const grants: AccessGrant[] = [
      { subject: { kind: 'subsystem', id: alice }, serviceCode: 'pets', endpoint: { method: 'GET', path: '/pets/*' } },
      { subject: { kind: 'subsystem', id: alice }, serviceCode: 'pets', endpoint: { method: '*', path: '/public/**' } },
    ];
    expect(decide(grants, alice, 'GET', '/pets/1').allowed).toBe(true);
    expect(decide(grants, alice, 'GET', '/pets/1/secret').allowed).toBe(false);
    expect(decide(grants, alice, 'GET', '/pets').allowed).toBe(false);
    expect(decide(grants, alice, 'DELETE', '/pets/1').allowed).toBe(false);
    expect(decide(grants, alice, 'POST', '/public').allowed).toBe(true);
    expect(decide(grants, alice, 'PUT', '/public/a/b').allowed).toBe(true);
    expect(decide(grants, alice, 'GET', '/admin').allowed).toBe(false);
  });

  it('method-specific grants do not cover other methods; * does; the most specific grant is reported', () => {
    const getOnly: AccessGrant = { subject: { kind: 'subsystem', id: alice }, serviceCode: 'pets', endpoint: { method: 'GET', path: '/pets/*' } };
    const any: AccessGrant = { subject: { kind: 'subsystem', id: alice }, serviceCode: 'pets', endpoint: { method: '*', path: '/pets/*' } };
    expect(decide([getOnly], alice, 'POST', '/pets/1').allowed).toBe(false);
    expect(decide([any], alice, 'POST', '/pets/1').allowed).toBe(true);
    expect(decide([any, getOnly], alice, 'GET', '/pets/1').matchedGrant).toBe(getOnly);
  });

  it('local groups grant their members only; unknown groups grant nobody', () => {
    const grants: AccessGrant[] = [
      { subject: { kind: 'local-group', code: 'partners' }, serviceCode: 'pets', endpoint: { method: 'GET', path: '/**' } },
      { subject: { kind: 'local-group', code: 'ghosts' }, serviceCode: 'pets' },
    ];
    const groups = { partners: [bob, carol] };
    expect(decide(grants, bob, 'GET', '/x', groups).allowed).toBe(true);
    expect(decide(grants, carol, 'GET', '/', groups).allowed).toBe(true);
    expect(decide(grants, carol, 'POST', '/x', groups).allowed).toBe(false);
    expect(decide(grants, alice, 'GET', '/x', groups).allowed).toBe(false);
    const inherited: AccessGrant = { subject: { kind: 'local-group', code: 'toString' }, serviceCode: 'pets' };
    expect(decide([inherited], alice, 'GET', '/x', {}).allowed).toBe(false);
  });

  it('a grant for another client or another service does not apply', () => {
    const grants: AccessGrant[] = [
      { subject: { kind: 'subsystem', id: bob }, serviceCode: 'pets' },
      { subject: { kind: 'subsystem', id: alice }, serviceCode: 'owners' },
      { subject: { kind: 'subsystem', id: { ...alice, memberClass: 'GOV' } }, serviceCode: 'pets' },
    ];
    const decision = decide(grants, alice, 'GET', '/pets/1');
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toMatch(/no access right/);
  });

  it('a compiled matcher gives the same answers repeatedly, with changing groups', () => {
    const matcher = compileGrants([{ subject: { kind: 'local-group', code: 'g' }, serviceCode: 'pets', endpoint: { method: 'GET', path: '/a' } }]);
    const request = { client: alice, service: pets, method: 'GET', normalizedPath: '/a' };
    expect(matcher.decide({ ...request, groups: { g: [alice] } }).allowed).toBe(true);
    expect(matcher.decide({ ...request, groups: { g: [bob] } }).allowed).toBe(false);
    expect(matcher.decide({ ...request, groups: { g: [alice] } }).allowed).toBe(true);
    const withGroups = compileGrants([{ subject: { kind: 'local-group', code: 'g' }, serviceCode: 'pets' }], { g: [bob] });
    expect(withGroups.decide({ ...request, client: bob }).allowed).toBe(true);
    expect(withGroups.decide(request).allowed).toBe(false);
  });

  it('a path like /admin/../public never reaches decideAccess: the parser rejects it', () => {
    const grants: AccessGrant[] = [{ subject: { kind: 'subsystem', id: alice }, serviceCode: 'pets', endpoint: { method: 'GET', path: '/public/**' } }];
    for (const trick of ['/public/../admin', '/public/%2e%2e/admin', '/public/%252e%252e/admin', '/public%2F..%2Fadmin', '/public/..%5Cadmin']) {
      let error: unknown;
      try {
        parsePrRestRequest({ method: 'GET', rawUrl: `/r1/JP/GOV/2222/city/pets${trick}`, headers: { 'x-road-client': 'JP/COM/1111/alice' } });
      } catch (caught) {
        error = caught;
      }
      expect(error instanceof XRoadError && error.type).toBe('client.bad_request');
    }
    const ok = parsePrRestRequest({ method: 'GET', rawUrl: '/r1/JP/GOV/2222/city/pets/public/a', headers: { 'x-road-client': 'JP/COM/1111/alice' } });
    expect(decideAccess({ grants, groups: {}, client: ok.client, service: ok.service, method: ok.method, normalizedPath: ok.normalizedPath }).allowed).toBe(true);
  });
});
