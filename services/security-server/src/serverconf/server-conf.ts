// The local configuration (clients, services, endpoints, local groups, access rights) held in
// memory for the proxies' hot path. It is rebuilt from the database after every change made
// through the configuration API, so a lookup never touches the database.
import { parseSubsystemId, type SubsystemId } from '@jplink/contracts';
import type { SecurityServerDb } from '../db/database.ts';
import type { ConnectionType } from '../db/schema.ts';
import { loadServerConfRows } from '../db/server-conf.ts';
import { compileGrants, type CompiledGrants, type Grant } from '../acl/access-decision.ts';

export interface LocalClient {
  subsystem: string;
  connectionType: ConnectionType;
  logBodies: boolean;
  /** Exchanges of this subsystem wait for a timestamp of their log record. */
  timestampImmediately: boolean;
  status: 'saved' | 'registration-requested' | 'registered';
  /** SHA-256 (hex) of trusted information-system certificates, for `https-cert`. */
  isCertificates: Map<string, Buffer>;
}

export interface LocalService {
  subsystem: string;
  serviceCode: string;
  url: string;
  timeoutSeconds: number;
  tlsVerify: boolean;
  openapi: Record<string, unknown> | null;
  endpoints: Array<{ method: string; path: string }>;
}

export interface ServerConfSnapshot {
  clients: Map<string, LocalClient>;
  services: Map<string, LocalService>;
  /** Access rights per provider subsystem. */
  grants: Map<string, CompiledGrants>;
  rawGrants: Array<{ subsystem: string; serviceCode: string; grant: Grant }>;
  groups: Record<string, SubsystemId[]>;
}

const serviceKey = (subsystem: string, serviceCode: string) => `${subsystem}\u0000${serviceCode}`;

export class ServerConf {
  #db: SecurityServerDb;
  #snapshot: ServerConfSnapshot = { clients: new Map(), services: new Map(), grants: new Map(), rawGrants: [], groups: {} };

  constructor(db: SecurityServerDb) {
    this.#db = db;
  }

  get snapshot(): ServerConfSnapshot {
    return this.#snapshot;
  }

  async reload(): Promise<void> {
    const rows = await loadServerConfRows(this.#db);
    const clients = new Map<string, LocalClient>();
    for (const c of rows.clients) {
      clients.set(c.subsystem, { subsystem: c.subsystem, connectionType: c.connection_type, logBodies: c.log_bodies, timestampImmediately: c.timestamp_immediately, status: c.status, isCertificates: new Map() });
    }
    for (const cert of rows.isCerts) clients.get(cert.subsystem)?.isCertificates.set(cert.sha256, cert.certificate);
    const services = new Map<string, LocalService>();
    for (const s of rows.services) {
      services.set(serviceKey(s.subsystem, s.service_code), {
        subsystem: s.subsystem,
        serviceCode: s.service_code,
        url: s.url,
        timeoutSeconds: s.timeout_seconds,
        tlsVerify: s.tls_verify,
        openapi: (s.openapi as Record<string, unknown> | null) ?? null,
        endpoints: [],
      });
    }
    for (const e of rows.endpoints) services.get(serviceKey(e.subsystem, e.service_code))?.endpoints.push({ method: e.method, path: e.path });
    const groups: Record<string, SubsystemId[]> = {};
    for (const g of rows.groups) groups[g.code] = [];
    for (const m of rows.members) groups[m.group_code]?.push(parseSubsystemId(m.subsystem));
    const bySubsystem = new Map<string, Grant[]>();
    const rawGrants: ServerConfSnapshot['rawGrants'] = [];
    for (const r of rows.rights) {
      const grant: Grant = {
        subject: r.subject_kind === 'subsystem' ? { kind: 'subsystem', id: parseSubsystemId(r.subject) } : { kind: 'local-group', code: r.subject },
        serviceCode: r.service_code,
        ...(r.endpoint_method !== null && r.endpoint_path !== null ? { endpoint: { method: r.endpoint_method, path: r.endpoint_path } } : {}),
      };
      rawGrants.push({ subsystem: r.subsystem, serviceCode: r.service_code, grant });
      bySubsystem.set(r.subsystem, [...(bySubsystem.get(r.subsystem) ?? []), grant]);
    }
    const grants = new Map<string, CompiledGrants>();
    for (const [subsystem, list] of bySubsystem) grants.set(subsystem, compileGrants(list, groups));
    this.#snapshot = { clients, services, grants, rawGrants, groups };
  }

  client(subsystem: string): LocalClient | undefined {
    return this.#snapshot.clients.get(subsystem);
  }

  service(subsystem: string, serviceCode: string): LocalService | undefined {
    return this.#snapshot.services.get(serviceKey(subsystem, serviceCode));
  }

  servicesOf(subsystem: string): LocalService[] {
    return [...this.#snapshot.services.values()].filter((s) => s.subsystem === subsystem);
  }

  grantsOf(subsystem: string): CompiledGrants | undefined {
    return this.#snapshot.grants.get(subsystem);
  }
}
