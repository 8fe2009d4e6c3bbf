// One data-service call, as both ways in answer it: the Fastify route (routes/data.ts; every
// method, bodies) and the raw fast path (data-fast-path.ts; GET/DELETE without a body). Plan
// lookup and refusals, personal-data decision and audit, the statement, and the call-log row all
// happen here, so the two cannot drift apart; each way in only reads the request and writes the answer.
import { AppError } from '@jplink/kit';
import { parseSubsystemId, formatSubsystemId } from '@jplink/contracts';
import type { Catalog } from '../catalog.ts';
import type { CallLog } from '../call-log.ts';
import type { AdapterDb } from '../db/schema.ts';
import type { AdapterAuditor } from '../audit.ts';
import { ADAPTER_ERRORS as E } from '../errors.ts';
import { executeCall, type CallAnswer } from '../operations/execute.ts';
import { decidePersonalAccess } from '../personal/access.ts';

export interface DataRouteDeps {
  catalog: Catalog;
  calls: CallLog;
  db: AdapterDb;
  audit: AdapterAuditor;
  now: () => Date;
  /** Personal-Link's subsystem (X-Road id text), the only accepted author of consents. */
  personalLinkClient: string | undefined;
}

type Headers = Record<string, string | string[] | undefined>;

/** Longest path parameters accepted (the route's params schema and the fast path use the same). */
export const PARAM_MAX = { subsystem: 255, service: 63, key: 1000 } as const;

export interface DataCall {
  method: string;
  /** The request target as received (the query string is read from it). */
  url: string;
  subsystem: string;
  service: string;
  /** Decoded key segment, when the path has one. */
  key: string | undefined;
  headers: Headers;
  body: unknown;
}

export const headerText = (value: string | string[] | undefined, max = 256): string | undefined => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined);

/** The X-Road-Client header in canonical form, or undefined. */
export function clientOf(value: string | string[] | undefined): string | undefined {
  const text = headerText(value, 1100);
  if (!text) return undefined;
  try {
    return formatSubsystemId(parseSubsystemId(text));
  } catch {
    return undefined;
  }
}

/** Answers a data-service call or throws (AppError or unexpected); records its call-log row either way. */
export function dataCaller(deps: DataRouteDeps): (call: DataCall) => Promise<CallAnswer> {
  const { catalog, calls } = deps;
  return async ({ method, url, subsystem, service, key, headers, body }) => {
    const started = performance.now();
    const client = clientOf(headers['x-road-client']);
    let status = 500;
    let errorCode: string | null = null;
    let rows: number | null = null;
    try {
      const plan = catalog.plan(subsystem, service);
      if (!plan || !plan.def.enabled || plan.hasKey !== (key !== undefined)) throw new AppError(E.ADAPTER_SERVICE_NOT_FOUND);
      if (plan.method !== method) throw new AppError(E.ADAPTER_SERVICE_NOT_FOUND, { message: `This data service answers ${plan.method} only.` });
      if (!client) throw new AppError(E.ADAPTER_CLIENT_MISSING);
      const q = url.indexOf('?');
      const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const personal = plan.def.personal
        ? await decidePersonalAccess(deps, {
            plan,
            client,
            baseId: headerText(headers['x-jplink-base-id']),
            purpose: headerText(headers['x-jplink-purpose']),
            xRoadId: headerText(headers['x-road-id']),
          })
        : undefined;
      const answer = await executeCall(plan, catalog.target(plan.def.connection), { key, query, body, ...(personal ? { personal } : {}) });
      status = answer.status;
      rows = answer.rows;
      return answer;
    } catch (error) {
      status = error instanceof AppError ? error.statusCode : 500;
      errorCode = error instanceof AppError ? error.code : 'KIT_INTERNAL';
      throw error;
    } finally {
      calls.record({
        at: deps.now(),
        subsystem_code: subsystem.slice(0, 255),
        service: service.slice(0, 63),
        method,
        x_road_client: client ?? null,
        x_road_id: headerText(headers['x-road-id']) ?? null,
        x_road_request_id: headerText(headers['x-road-request-id']) ?? null,
        x_road_user_id: headerText(headers['x-road-userid']) ?? null,
        status,
        error_code: errorCode,
        rows,
        duration_ms: performance.now() - started,
      });
    }
  };
}
