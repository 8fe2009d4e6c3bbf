// What both proxies need, built once by security-server.ts.
import type { SecurityServerId } from '@jplink/contracts';
import type { Logger } from '@jplink/kit';
import type { GlobalConfClient } from '../conf/global-conf-client.ts';
import type { PeerVerifier } from '../trust/peer-verifier.ts';
import type { OwnOcspManager } from '../ocsp/own-ocsp.ts';
import type { KeyStore } from '../keys/key-store.ts';
import type { ServerConf } from '../serverconf/server-conf.ts';
import type { MessageLogWriter } from '../messagelog/writer.ts';
import type { SignerRegistry } from './signers.ts';
import type { ReplayGuard } from './replay-guard.ts';
import type { BackendClient } from './backend-client.ts';
import type { PeerClient } from './peer-client.ts';

export interface ProxyContext {
  serverId: SecurityServerId;
  serverIdText: string;
  conf: GlobalConfClient;
  verifier: PeerVerifier;
  ownOcsp: OwnOcspManager;
  keys: KeyStore;
  serverConf: ServerConf;
  log: MessageLogWriter;
  signers: SignerRegistry;
  replay: ReplayGuard;
  backend: BackendClient;
  peers: PeerClient;
  logger: Logger;
  now: () => Date;
  limits: { maxBodyBytes: number; logBodies: boolean };
}
