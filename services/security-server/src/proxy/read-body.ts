// Reads a request or response body into memory, refusing it as soon as it passes the limit.
import type { IncomingMessage } from 'node:http';
import { XRoadError, type XRoadErrorType } from '../errors.ts';

export async function readBody(stream: IncomingMessage, limit: number, tooLarge: XRoadErrorType): Promise<Buffer> {
  const declared = Number(stream.headers['content-length'] ?? '0');
  if (declared > limit) throw new XRoadError(tooLarge, `the body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      throw new XRoadError(tooLarge, `the body is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
