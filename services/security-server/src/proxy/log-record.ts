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
  envelope: SignatureEnvelope;
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
    body: input.logBody ? input.body : null,
    bodySha256: createHash('sha256').update(input.body).digest(),
    bodyLength: input.body.length,
    digest: input.digest,
    signature: Buffer.from(JSON.stringify(input.envelope), 'utf8'),
  };
}
