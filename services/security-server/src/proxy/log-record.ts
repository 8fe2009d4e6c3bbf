// Builds message-log records from exchanged messages.
import { createHash } from 'node:crypto';
import type { SignatureEnvelope } from '@jplink/exchange';
import type { NewLogRecord } from '../messagelog/writer.ts';

export function logRecord(input: {
  side: 'client' | 'server';
  kind: 'request' | 'response';
  messageId: string;
  xRoadId: string;
  client: string;
  service: string;
  peerServer: string;
  headerBytes: Buffer;
  body: Buffer;
  logBody: boolean;
  digest: Buffer;
  /** SHA-256 of body when already known (computed with the message digest); computed here otherwise. */
  bodySha256?: Buffer;
  /** SHA-256 of headerBytes when already known. */
  headerSha256?: Buffer;
  envelope: SignatureEnvelope;
  /** JSON.stringify(envelope) as UTF-8 when already serialised (the SIGNATURE payload this server wrote). */
  envelopeBytes?: Buffer;
}): NewLogRecord {
  return {
    side: input.side,
    kind: input.kind,
    messageId: input.messageId,
    xRoadId: input.xRoadId,
    client: input.client,
    service: input.service,
    peerServer: input.peerServer,
    header: input.headerBytes,
    ...(input.headerSha256 ? { headerSha256: input.headerSha256 } : {}),
    body: input.logBody ? input.body : null,
    bodySha256: input.bodySha256 ?? createHash('sha256').update(input.body).digest(),
    bodyLength: input.body.length,
    digest: input.digest,
    signature: input.envelopeBytes ?? Buffer.from(JSON.stringify(input.envelope), 'utf8'),
  };
}
