// REST metaservices answered by the provider's Security Server itself (X-Road PR-REST):
//   GET /r1/{provider subsystem}/listMethods              every service of the provider
//   GET /r1/{provider subsystem}/allowedMethods           the services and endpoints the caller may use
//   GET /r1/{provider subsystem}/getOpenAPI?serviceCode=X the service's OpenAPI description
// JSON shapes follow X-Road's REST metaservices (`service` list with `endpoint_list`).
import { formatSubsystemId, parseSubsystemId, type SubsystemId } from '@jplink/contracts';
import { XRoadError } from '../errors.ts';
import type { LocalService } from '../serverconf/server-conf.ts';
import type { ProxyContext } from './context.ts';

const METASERVICES = new Set(['listMethods', 'allowedMethods', 'getOpenAPI']);

export function isMetaservice(serviceCode: string): boolean {
  return METASERVICES.has(serviceCode);
}

interface Answer {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

const json = (value: unknown): Answer => ({
  status: 200,
  headers: [['content-type', 'application/json; charset=utf-8']],
  body: Buffer.from(JSON.stringify(value)),
});

export function answerMetaservice(
  ctx: ProxyContext,
  input: { provider: string; serviceCode: string; client: SubsystemId; method: string; query: string },
): Answer {
  if (input.method !== 'GET') throw new XRoadError('client.bad_request', 'metaservices answer GET only');
  const owner = parseSubsystemId(input.provider);
  const services = ctx.serverConf.servicesOf(input.provider);
  const describe = (s: LocalService, endpoints: Array<{ method: string; path: string }>) => ({
    object_type: 'SERVICE',
    xroad_instance: owner.instance,
    member_class: owner.memberClass,
    member_code: owner.memberCode,
    subsystem_code: owner.subsystemCode,
    service_code: s.serviceCode,
    service_type: s.openapi ? 'OPENAPI' : 'REST',
    endpoint_list: endpoints,
  });

  if (input.serviceCode === 'listMethods') return json({ service: services.map((s) => describe(s, s.endpoints)) });

  if (input.serviceCode === 'allowedMethods') {
    const client = formatSubsystemId(input.client);
    const groups = ctx.serverConf.snapshot.groups;
    const applies = (subject: { kind: 'subsystem'; id: SubsystemId } | { kind: 'local-group'; code: string }) =>
      subject.kind === 'subsystem' ? formatSubsystemId(subject.id) === client : (groups[subject.code] ?? []).some((m) => formatSubsystemId(m) === client);
    const allowed = services.flatMap((s) => {
      const grants = ctx.serverConf.snapshot.rawGrants.filter((g) => g.subsystem === input.provider && g.serviceCode === s.serviceCode && applies(g.grant.subject));
      if (grants.length === 0) return [];
      const whole = grants.some((g) => !g.grant.endpoint);
      const endpoints = whole ? s.endpoints : grants.flatMap((g) => (g.grant.endpoint ? [g.grant.endpoint] : []));
      return [describe(s, endpoints)];
    });
    return json({ service: allowed });
  }

  const serviceCode = new URLSearchParams(input.query).get('serviceCode');
  if (!serviceCode) throw new XRoadError('client.bad_request', 'getOpenAPI needs ?serviceCode=');
  const service = services.find((s) => s.serviceCode === serviceCode);
  if (!service) throw new XRoadError('server.serverproxy.unknown_service', `${input.provider} has no service ${serviceCode}`);
  if (!service.openapi) throw new XRoadError('server.serverproxy.unknown_service', `${serviceCode} has no OpenAPI description`);
  return json(service.openapi);
}
