// The protocol over a real HTTP connection (plain HTTP here; the Security Server adds mutual TLS):
// the provider reads a request frame stream, refuses malformed ones with X-Road's error JSON,
// and answers good ones with a response frame stream bound to the request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, http } from '@jplink/testing';
import {
  EXCHANGE_CONTENT_TYPE,
  EXCHANGE_PATH,
  isExchangeError,
  parseRequestHeader,
  parseResponseHeader,
  readMessage,
  verifyEnvelope,
  writeMessage,
  type BatchSigner,
} from '../src/index.ts';
import { makeSignKey, oneChunk, requestHeader, responseHeader, signerFor } from './support/fixtures.ts';

let server: Server;
let url: string;
let clientSigner: BatchSigner;
let providerSigner: BatchSigner;

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    // On a failure readMessage ends the iteration of `req` (destroying the request stream); Node keeps
    // the socket of a server-side request, so the refusal below still reaches the client.
    const message = await readMessage(req, { maxBodyBytes: 4096, expectKind: 'request' });
    const header = parseRequestHeader(message.header);
    if (!message.signature) throw new Error('sender failed');
    verifyEnvelope({ digest: message.digest, envelope: message.signature });
    const answer = await writeMessage({
      header: responseHeader(message.digest, { messageId: header.messageId }),
      body: Buffer.from(`echo:${message.body.toString()}`),
      sign: providerSigner.sign,
    });
    res.writeHead(200, { 'content-type': EXCHANGE_CONTENT_TYPE });
    for (const frame of answer.frames) res.write(frame);
    res.end();
  } catch (error) {
    const type = isExchangeError(error, 'JPX_SIGNATURE_INVALID') ? 'server.serverproxy.invalid_signature' : 'server.serverproxy.invalid_message';
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    res.end(JSON.stringify({ type, message: (error as Error).message, detail: (error as { code?: string }).code ?? '' }));
  }
}

beforeAll(async () => {
  clientSigner = signerFor(await makeSignKey('EC-P256'));
  providerSigner = signerFor(await makeSignKey('RSA-2048', '0000000000001'));
  const port = await freePort();
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${port}${EXCHANGE_PATH}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('jpx/1 over HTTP', () => {
  it('answers a signed request with a response bound to it', async () => {
    const request = await writeMessage({ header: requestHeader(), body: Buffer.from('こんにちは'), sign: clientSigner.sign });
    const res = await http(url, { method: 'POST', headers: { 'content-type': EXCHANGE_CONTENT_TYPE }, body: Buffer.concat(request.frames) });
    expect(res.status).toBe(200);
    const response = await readMessage(oneChunk(res.body), { maxBodyBytes: 4096, expectKind: 'response' });
    const header = parseResponseHeader(response.header);
    expect(header.messageId).toBe(parseRequestHeader(JSON.parse(request.headerBytes.toString())).messageId);
    expect(Buffer.from(header.requestDigest, 'base64').equals(request.digest)).toBe(true);
    expect(response.body.toString()).toBe('echo:こんにちは');
    const { signer } = verifyEnvelope({ digest: response.digest, envelope: response.signature! });
    expect(signer.keyAlgorithm).toBe('RSA-2048');
  });

  it('refuses a malformed or tampered request with error JSON', async () => {
    const request = await writeMessage({ header: requestHeader(), body: Buffer.from('x'.repeat(100)), sign: clientSigner.sign });
    const stream = Buffer.concat(request.frames);
    const truncated = await http(url, { method: 'POST', body: stream.subarray(0, stream.length - 10) });
    expect(truncated.status).toBe(500);
    expect(truncated.json()).toMatchObject({ type: 'server.serverproxy.invalid_message', detail: 'JPX_TRUNCATED' });
    const tampered = Buffer.from(stream);
    tampered[request.frames[0]!.length + 10]! ^= 1;
    const bad = await http(url, { method: 'POST', body: tampered });
    expect(bad.json()).toMatchObject({ type: 'server.serverproxy.invalid_signature', detail: 'JPX_SIGNATURE_INVALID' });
    const junk = await http(url, { method: 'POST', body: Buffer.concat([Buffer.from([9, 0, 0, 0, 1]), Buffer.alloc(1_000_000)]) }); // far more than one socket read: refused mid-upload
    expect(junk.json()).toMatchObject({ detail: 'JPX_MALFORMED' });
  });
});
