// Port plan of a local network: production uses the seed's ports; devnet offsets everything from
// one base so several networks (or a network and the tests) can run side by side.
export interface DevnetPorts {
  centerAdmin: number;
  centerRegistration: number;
  centerPublic: number;
  /** Five ports each: information system HTTP, HTTPS, exchange, OCSP, configuration API. */
  securityServerA: number;
  securityServerB: number;
  sampleBackend: number;
  /** Three ports of the provider's Adapter Server: data HTTP, data HTTPS, admin API. */
  adapterServer: number;
  /** Three ports each of the consumer's and of Personal-Link's Adapter Servers. */
  adapterServerA: number;
  adapterServerPl: number;
  /** Five ports of Personal-Link's Security Server `ss-pl`. */
  securityServerPl: number;
  /** Personal-Link: public (OpenID Provider, resident pages, RP API), admin API, dev upstream ID providers. */
  personalLink: number;
  /** The servicers' apps: shopping here, healthcare at +1 (their registered redirect URIs point here). */
  servicerApps: number;
}

export const DEFAULT_PORT_BASE = 17_000;

export function devnetPorts(base: number): DevnetPorts {
  return {
    centerAdmin: base, // production 4000 (loopback)
    centerRegistration: base + 1, // production 4001
    centerPublic: base + 80, // production 80
    securityServerA: base + 100, // production 8080, 8443, 5500, 5577, 4000
    securityServerB: base + 110,
    sampleBackend: base + 120,
    adapterServer: base + 130, // production 8085, 8003, 8443 (loopback)
    adapterServerA: base + 133,
    adapterServerPl: base + 136,
    securityServerPl: base + 140,
    personalLink: base + 150, // production 8600, 8601 (loopback), — (development only)
    servicerApps: base + 160,
  };
}
