// Reads a request or response body into memory, refusing it as soon as it passes the limit, and
// reads a jpx/1 frame stream through the synchronous MessageParser as its chunks arrive. Both use
// 'data' events rather than `for await` (no promise per chunk).
import type { IncomingMessage } from 'node:http';
import { MessageParser, type ReadMessageOptions, type ReadMessageResult } from '@jplink/exchange';
import { XRoadError, type XRoadErrorType } from '../errors.ts';

const prematureClose = () => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/**
 * Feeds every chunk to `onChunk` (which may throw to refuse) until the stream ends. On a refusal the
 * stream is destroyed when `destroyOnRefusal`, else left flowing with nobody listening (the caller
 * answers and closes the connection, or lets the rest of a complete message drain).
 */
function consume(stream: IncomingMessage, onChunk: (chunk: Buffer) => void, destroyOnRefusal: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (stream.destroyed) {
      reject(stream.errored ?? prematureClose());
      return;
    }
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      try {
        onChunk(chunk);
      } catch (error) {
        settle(error);
        if (destroyOnRefusal) stream.destroy();
      }
    };
    const onEnd = () => settle();
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(stream.errored ?? prematureClose());
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

export async function readBody(stream: IncomingMessage, limit: number, tooLarge: XRoadErrorType): Promise<Buffer> {
  const declared = Number(stream.headers['content-length'] ?? '0');
  if (declared > limit) throw new XRoadError(tooLarge, `the body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  await consume(stream, (chunk) => {
    size += chunk.length;
    if (size > limit) throw new XRoadError(tooLarge, `the body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }, true);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * readMessage of @jplink/exchange for a Node stream: the same checks and errors. A refused stream is
 * not destroyed: a provider still has to send its refusal (then close the connection if the request
 * had not fully arrived); a client destroys its request.
 */
export async function readExchangeMessage(stream: IncomingMessage, options: ReadMessageOptions): Promise<ReadMessageResult> {
  const parser = new MessageParser(options);
  await consume(stream, (chunk) => parser.push(chunk), false);
  return parser.end();
}
