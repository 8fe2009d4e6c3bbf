// Access rights of the provider Security Server (X-Road ug-ss §7–8, ServerConf.isQueryAllowed):
// deny by default; a grant gives a subject (a client subsystem or a local group of subsystems) either
// a whole service or one REST endpoint (method + path pattern) of it. A request is allowed when any
// applicable grant matches. Grants are those of the provider subsystem the request addresses
// (`service` identifies it); grants only name the service code.
import { formatSubsystemId, type ServiceId, type SubsystemId } from '@jplink/contracts';
import { compareSpecificity, compileEndpoint, endpointMatches, type CompiledEndpoint } from './path-pattern.ts';

export type GrantSubject = { kind: 'subsystem'; id: SubsystemId } | { kind: 'local-group'; code: string };

export interface AccessGrant {
  subject: GrantSubject;
  serviceCode: string;
  /** Absent: the whole service. */
  endpoint?: { method: string; path: string };
}

/** Local group code → member subsystems. */
export type LocalGroups = Record<string, readonly SubsystemId[]>;

export interface AccessRequest {
  /** Local groups; defaults to the groups given to `compileGrants`, else none. */
  groups?: LocalGroups;
  client: SubsystemId;
  service: ServiceId;
  method: string;
  /** `PrRestRequest.normalizedPath`. */
  normalizedPath: string;
}

export interface AccessDecision {
  allowed: boolean;
  reason: string;
  /** The grant that allowed the request: a whole-service grant if any, else the most specific endpoint grant. */
  matchedGrant?: AccessGrant;
}

export interface AccessMatcher {
  decide(request: AccessRequest): AccessDecision;
}

/** Aliases used by serverconf. */
export type Grant = AccessGrant;
export type CompiledGrants = AccessMatcher;

interface CompiledGrant {
  grant: AccessGrant;
  /** Canonical subsystem id, or undefined for a local group. */
  subsystem?: string;
  group?: string;
  endpoint?: CompiledEndpoint;
}

/**
 * Compiles grants once (validating endpoint patterns; throws AclPatternError) for fast repeated decisions.
 * `groups` given here are indexed once and used when a decision passes no groups of its own.
 */
export function compileGrants(grants: readonly AccessGrant[], groups?: LocalGroups): AccessMatcher {
  const byService = new Map<string, CompiledGrant[]>();
  for (const grant of grants) {
    const compiled: CompiledGrant = { grant };
    if (grant.subject.kind === 'subsystem') compiled.subsystem = formatSubsystemId(grant.subject.id);
    else compiled.group = grant.subject.code;
    if (grant.endpoint) compiled.endpoint = compileEndpoint(grant.endpoint);
    const list = byService.get(grant.serviceCode) ?? [];
    list.push(compiled);
    byService.set(grant.serviceCode, list);
  }
  const defaultGroups: LocalGroups = groups ?? {};
  const groupIndex = new WeakMap<LocalGroups, Map<string, Set<string>>>();
  const membersOf = (groups: LocalGroups, code: string): Set<string> | undefined => {
    let index = groupIndex.get(groups);
    if (!index) {
      index = new Map();
      groupIndex.set(groups, index);
    }
    let members = index.get(code);
    if (!members) {
      const list = Object.hasOwn(groups, code) ? groups[code] : undefined;
      if (!list) return undefined;
      members = new Set(list.map(formatSubsystemId));
      index.set(code, members);
    }
    return members;
  };

  return {
    decide(request) {
      const service = request.service.serviceCode;
      const client = formatSubsystemId(request.client);
      const candidates = byService.get(service) ?? [];
      let best: CompiledGrant | undefined;
      for (const candidate of candidates) {
        const applies =
          candidate.subsystem !== undefined ? candidate.subsystem === client : membersOf(request.groups ?? defaultGroups, candidate.group!)?.has(client) === true;
        if (!applies) continue;
        if (!candidate.endpoint) {
          return { allowed: true, reason: `${describe(candidate)} has access to the whole service ${service}`, matchedGrant: candidate.grant };
        }
        if (!endpointMatches(candidate.endpoint, request.method, request.normalizedPath)) continue;
        if (!best || compareSpecificity(candidate.endpoint, best.endpoint!) < 0) best = candidate;
      }
      if (best) {
        const endpoint = best.endpoint!;
        return { allowed: true, reason: `${describe(best)} has access to endpoint ${endpoint.method} ${endpoint.path} of service ${service}`, matchedGrant: best.grant };
      }
      return { allowed: false, reason: `no access right of client ${client} matches ${request.method} ${request.normalizedPath} of service ${service}` };
    },
  };
}

function describe(grant: CompiledGrant): string {
  return grant.subsystem !== undefined ? `client ${grant.subsystem}` : `local group ${grant.group}`;
}

/** One-off decision; prefer `compileGrants(grants).decide(...)` on hot paths. Deny by default. */
export function decideAccess(input: AccessRequest & { grants: readonly AccessGrant[] }): AccessDecision {
  return compileGrants(input.grants).decide(input);
}
