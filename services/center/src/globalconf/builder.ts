// Assembles the global configuration from the Center's tables.
import type { GlobalConfiguration, GlobalSettings } from '@jplink/contracts';
import type { CenterDb } from '../db/database.ts';
import { listMemberClasses, listMembers, listSubsystems } from '../db/members.ts';
import { listAuthCerts, listSecurityServers, listServerClients } from '../db/servers.ts';
import type { CaKeys } from '../ca/authority.ts';

export interface BuildOptions {
  instance: string;
  publicUrl: string;
  registrationUrl: string;
  settings: GlobalSettings;
}

/** Everything but version and times: the part whose change is an audited event. */
export type GlobalConfContent = Omit<GlobalConfiguration, 'formatVersion' | 'version' | 'generatedAt' | 'expiresAt'>;

const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

export async function buildGlobalConfContent(db: CenterDb, ca: CaKeys, options: BuildOptions): Promise<GlobalConfContent> {
  const [classes, members, subsystems, servers, authCerts, clients] = await Promise.all([
    listMemberClasses(db),
    listMembers(db),
    listSubsystems(db),
    listSecurityServers(db),
    listAuthCerts(db),
    listServerClients(db),
  ]);
  const key = (c: string, m: string) => `${c}\u0000${m}`;
  const subsystemsByMember = new Map<string, { subsystemCode: string }[]>();
  for (const s of subsystems) {
    const list = subsystemsByMember.get(key(s.member_class, s.member_code)) ?? [];
    list.push({ subsystemCode: s.subsystem_code });
    subsystemsByMember.set(key(s.member_class, s.member_code), list);
  }
  const serverKey = (c: string, m: string, s: string) => `${c}\u0000${m}\u0000${s}`;
  const hashes = new Map<string, string[]>();
  for (const a of authCerts) {
    if (a.status !== 'good') continue; // a revoked auth certificate no longer authenticates anyone
    const k = serverKey(a.member_class, a.member_code, a.server_code);
    hashes.set(k, [...(hashes.get(k) ?? []), a.cert_sha256].sort());
  }
  const clientsByServer = new Map<string, string[]>();
  for (const c of clients) {
    const k = serverKey(c.member_class, c.member_code, c.server_code);
    clientsByServer.set(k, [...(clientsByServer.get(k) ?? []), `${options.instance}/${c.client_class}/${c.client_code}/${c.client_subsystem}`]);
  }
  const base = options.publicUrl.replace(/\/+$/, '');
  return {
    instance: options.instance,
    memberClasses: classes.map((c) => ({ code: c.code, description: c.description })),
    members: members.map((m) => ({
      memberClass: m.member_class,
      memberCode: m.member_code,
      name: m.name,
      subsystems: subsystemsByMember.get(key(m.member_class, m.member_code)) ?? [],
    })),
    securityServers: servers.map((s) => {
      const k = serverKey(s.member_class, s.member_code, s.server_code);
      return {
        id: `${options.instance}/${s.member_class}/${s.member_code}/${s.server_code}`,
        owner: { memberClass: s.member_class, memberCode: s.member_code },
        serverCode: s.server_code,
        address: s.address,
        ...(s.port !== null ? { port: s.port } : {}),
        ...(s.ocsp_port !== null ? { ocspPort: s.ocsp_port } : {}),
        authCertHashes: hashes.get(k) ?? [],
        clients: clientsByServer.get(k) ?? [],
      };
    }),
    approvedCas: [
      {
        name: ca.issuing.parsed.subject.find(([t]) => t === 'CN')?.[1] ?? 'JP-Link Issuing CA',
        rootCertificate: b64(ca.root.certificate),
        intermediateCertificates: [b64(ca.issuing.certificate)],
        ocsp: [{ url: `${base}/ocsp`, responderCertificate: b64(ca.ocsp.certificate) }],
        certificateProfile: 'jp-link-v1',
      },
    ],
    tsas: [{ name: ca.tsa.parsed.subject.find(([t]) => t === 'CN')?.[1] ?? 'JP-Link TSA', url: `${base}/tsa`, certificate: b64(ca.tsa.certificate) }],
    globalSettings: options.settings,
    managementService: { registrationUrl: options.registrationUrl, tlsCertificate: b64(ca['tls-server'].certificate) },
  };
}
