// One accepted global configuration with the indexes the proxies need per message, built once when
// the configuration is accepted. Everything here is read-only; a new configuration is a new view.
import { createHash } from 'node:crypto';
import type { ApprovedCa, GlobalConfiguration, GlobalConfSecurityServer, GlobalSettings } from '@jplink/contracts';
import { parseCertificate, type ParsedCertificate } from '@jplink/pki';

export const DEFAULT_EXCHANGE_PORT = 5500;
export const DEFAULT_OCSP_PORT = 5577;

export interface ExchangeAddress {
  host: string;
  port: number;
  ocspPort: number;
}

/** Where to ask for the status of a certificate issued by an approved CA. */
export interface OcspResponderInfo {
  ca: ApprovedCa;
  /** DER of the CA certificate that issued the checked certificate (root or intermediate of `ca`). */
  issuer: Uint8Array;
  /** DER of the root of `ca`. */
  root: Uint8Array;
  /** OCSP URLs of `ca` from the global configuration, in order. */
  urls: string[];
  /** Delegated responder certificates the configuration names for `ca` (DER). */
  responderCertificates: Uint8Array[];
}

interface CaCertificate {
  parsed: ParsedCertificate;
  subjectKey: string;
  caIndex: number;
}

const der = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));
const nameKey = (name: ParsedCertificate['subject']) => JSON.stringify(name);

export class ConfView {
  readonly conf: GlobalConfiguration;
  readonly instance: string;
  readonly version: number;
  readonly generatedAt: Date;
  readonly expiresAt: Date;
  readonly settings: GlobalSettings;
  /** SHA-256 (hex) of the signed document bytes, when known. */
  readonly documentSha256: string | undefined;
  /**
   * SHA-256 of everything but the version and times: the Center republishes every minute with
   * the same content, and caches that depend only on content survive that.
   */
  readonly contentHash: string;
  readonly tsas: GlobalConfiguration['tsas'];
  /** The Center's registration service and its TLS certificate. */
  readonly managementService: GlobalConfiguration['managementService'];

  readonly #servers = new Map<string, GlobalConfSecurityServer>();
  readonly #byAuthHash = new Map<string, GlobalConfSecurityServer>();
  readonly #hosting = new Map<string, GlobalConfSecurityServer[]>();
  readonly #clients = new Map<string, Set<string>>();
  readonly #members = new Map<string, GlobalConfiguration['members'][number]>();
  readonly #subsystems = new Set<string>();
  readonly #roots: Uint8Array[] = [];
  readonly #intermediates: Uint8Array[] = [];
  readonly #caCertificates: CaCertificate[] = [];
  readonly #caRoots: Uint8Array[] = [];
  readonly #ocspHosts = new Set<string>();

  constructor(conf: GlobalConfiguration, options: { documentSha256?: string } = {}) {
    this.conf = conf;
    this.instance = conf.instance;
    this.version = conf.version;
    this.generatedAt = new Date(conf.generatedAt);
    this.expiresAt = new Date(conf.expiresAt);
    this.settings = conf.globalSettings;
    this.documentSha256 = options.documentSha256;
    const { version: _version, generatedAt: _generatedAt, expiresAt: _expiresAt, ...content } = conf;
    this.contentHash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    this.tsas = conf.tsas;
    this.managementService = conf.managementService;

    for (const member of conf.members) {
      const memberId = `${conf.instance}/${member.memberClass}/${member.memberCode}`;
      this.#members.set(memberId, member);
      for (const s of member.subsystems) this.#subsystems.add(`${memberId}/${s.subsystemCode}`);
    }
    for (const server of conf.securityServers) {
      this.#servers.set(server.id, server);
      for (const hash of server.authCertHashes) this.#byAuthHash.set(hash, server);
      this.#clients.set(server.id, new Set(server.clients));
      for (const client of server.clients) {
        const list = this.#hosting.get(client) ?? [];
        list.push(server);
        this.#hosting.set(client, list);
      }
    }
    conf.approvedCas.forEach((ca, caIndex) => {
      const root = der(ca.rootCertificate);
      this.#roots.push(root);
      this.#caRoots[caIndex] = root;
      const intermediates = ca.intermediateCertificates.map(der);
      this.#intermediates.push(...intermediates);
      for (const cert of [root, ...intermediates]) {
        try {
          const parsed = parseCertificate(cert);
          this.#caCertificates.push({ parsed, subjectKey: nameKey(parsed.subject), caIndex });
        } catch {
          // An unparsable CA certificate cannot issue anything we accept; chain building ignores it too.
        }
      }
      for (const { url } of ca.ocsp) {
        try {
          this.#ocspHosts.add(new URL(url).host.toLowerCase());
        } catch {
          // schema-validated URLs; nothing to do
        }
      }
    });
  }

  /** Security Servers that host this client subsystem (`instance/class/code/subsystem`). */
  serversHosting(subsystemIdText: string): GlobalConfSecurityServer[] {
    return this.#hosting.get(subsystemIdText) ?? [];
  }

  server(serverIdText: string): GlobalConfSecurityServer | undefined {
    return this.#servers.get(serverIdText);
  }

  /** The server that registered this authentication certificate (lower-case hex SHA-256 of its DER). */
  serverByAuthCertHash(sha256hex: string): GlobalConfSecurityServer | undefined {
    return this.#byAuthHash.get(sha256hex.toLowerCase());
  }

  isClientOf(serverIdText: string, subsystemIdText: string): boolean {
    return this.#clients.get(serverIdText)?.has(subsystemIdText) ?? false;
  }

  /** `instance/memberClass/memberCode` */
  memberExists(memberIdText: string): boolean {
    return this.#members.has(memberIdText);
  }

  member(memberIdText: string): GlobalConfiguration['members'][number] | undefined {
    return this.#members.get(memberIdText);
  }

  /** `instance/memberClass/memberCode/subsystemCode` */
  subsystemExists(subsystemIdText: string): boolean {
    return this.#subsystems.has(subsystemIdText);
  }

  /** Trust anchors: the root certificate of every approved CA (DER). */
  approvedCaRoots(): Uint8Array[] {
    return this.#roots;
  }

  /** Intermediate certificates of every approved CA (DER), for chain building. */
  approvedCaIntermediates(): Uint8Array[] {
    return this.#intermediates;
  }

  /**
   * The approved CA that issued `certificate`, its issuing certificate, and the OCSP responders the
   * configuration names for it. Matching is by issuer name and key identifier; the caller still
   * verifies the chain and the OCSP signature. Undefined when no approved CA issued it.
   */
  ocspResponderFor(certificate: Uint8Array | ParsedCertificate): OcspResponderInfo | undefined {
    const cert = certificate instanceof Uint8Array ? parseCertificate(certificate) : certificate;
    const issuerKey = nameKey(cert.issuer);
    const found = this.#caCertificates.find(
      (c) =>
        c.subjectKey === issuerKey &&
        c.parsed.isCa &&
        !(cert.authorityKeyIdentifier && c.parsed.subjectKeyIdentifier && cert.authorityKeyIdentifier !== c.parsed.subjectKeyIdentifier),
    );
    if (!found) return undefined;
    const ca = this.conf.approvedCas[found.caIndex] as ApprovedCa;
    return {
      ca,
      issuer: found.parsed.der,
      root: this.#caRoots[found.caIndex] as Uint8Array,
      urls: ca.ocsp.map((o) => o.url),
      responderCertificates: ca.ocsp.flatMap((o) => (o.responderCertificate ? [der(o.responderCertificate)] : [])),
    };
  }

  /** True when `url`'s host:port is the host of an approved CA's OCSP responder. */
  isApprovedOcspHost(url: string): boolean {
    try {
      return this.#ocspHosts.has(new URL(url).host.toLowerCase());
    } catch {
      return false;
    }
  }

  /** Where to reach a Security Server: exchange port (default 5500) and OCSP port (default 5577). */
  exchangeAddress(server: GlobalConfSecurityServer): ExchangeAddress {
    return { host: server.address, port: server.port ?? DEFAULT_EXCHANGE_PORT, ocspPort: server.ocspPort ?? DEFAULT_OCSP_PORT };
  }

  /** Expired at `now` (a view past its expiry must not be used for exchange). */
  isExpired(now: Date): boolean {
    return now.getTime() >= this.expiresAt.getTime();
  }
}
