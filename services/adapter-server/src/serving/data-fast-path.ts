// The data port's fast path: GET and DELETE data-service calls without a body are answered
// straight from node:http, without Fastify's routing, hooks and reply, the zod validation of the
// path parameters and the redacting child logger Fastify creates for every request (together about
// a third of the server's CPU per get-by-key call; docs/performance.md, "Adapter Server: get by
// key"). The call itself (serving/data-call.ts) is the one the Fastify route runs.
//
// It must answer exactly as the route would, so it takes only requests whose meaning it knows for
// certain and leaves everything else to Fastify untouched: other methods, requests with a body,
// paths that are not /{subsystem}/{service}[/{key}] with non-empty segments within Fastify's and
// the params schema's length limits, percent-encodings decodeURIComponent refuses (Fastify answers
// those 400 itself), and paths whose first segment another route of the app has (health, consents).
// Answers and errors carry the same status, headers (in the same order) and bodies; errors go
// through the kit's sendError, so the envelope and the logging are the kit's own.
// test/data-fast-path.test.ts compares both ways on the same app.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { genReqId, sendError, type App, type Logger, type PreRoutingListener } from '@jplink/kit';
import type { CallAnswer } from '../operations/execute.ts';
import { PARAM_MAX, type DataCall } from './data-call.ts';

/** The route patterns of routes/data.ts; every other route's first segment is left to Fastify. */
const DATA_ROUTES = new Set(['/:subsystem/:service', '/:subsystem/:service/:key']);

type Target = Pick<DataCall, 'subsystem' | 'service' | 'key'>;

/** A path segment as Fastify's router hands it to the route (percent-decoded), or undefined when Fastify must decide. */
function segment(raw: string | undefined, max: number): string | undefined {
  if (!raw) return undefined;
  let value = raw;
  // Fastify decodes the path with decodeURI, then reserved characters (%2F, %3F, …) per parameter:
  // for a well-formed segment that is decodeURIComponent (test/data-fast-path.test.ts checks).
  if (raw.includes('%')) {
    try {
      value = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return value.length <= max ? value : undefined;
}

/**
 * Reads /{subsystem}/{service}[/{key}][?query] the way the data routes see it, or undefined for
 * anything else (then Fastify routes the request). `maxParamLength`: Fastify's router limit.
 */
export function dataTarget(url: string, claimed: ReadonlySet<string>, maxParamLength: number): Target | undefined {
  if (url.charCodeAt(0) !== 47 /* '/' */) return undefined;
  let end = url.indexOf('?');
  if (end === -1) end = url.length;
  const hash = url.indexOf('#');
  if (hash !== -1 && hash < end) return undefined;
  const parts = url.slice(1, end).split('/');
  if (parts.length < 2 || parts.length > 3) return undefined;
  const subsystem = segment(parts[0], Math.min(maxParamLength, PARAM_MAX.subsystem));
  const service = segment(parts[1], Math.min(maxParamLength, PARAM_MAX.service));
  if (subsystem === undefined || service === undefined || claimed.has(subsystem)) return undefined;
  if (parts.length === 2) return { subsystem, service, key: undefined };
  const key = segment(parts[2], Math.min(maxParamLength, PARAM_MAX.key));
  return key === undefined ? undefined : { subsystem, service, key };
}

/** The route's successful answer, as Fastify writes it (kit's onRequest hook, the route, then Fastify's content-length). */
function writeAnswer(response: ServerResponse, requestId: string, answer: CallAnswer) {
  const headers: OutgoingHttpHeaders = { 'x-request-id': requestId, 'x-jplink-truncated': String(answer.truncated) };
  if (answer.json === null) {
    // reply.send() without a payload: Content-Length 0, except where a body is not allowed.
    if (answer.status !== 204 && answer.status !== 304) headers['content-length'] = '0';
    response.writeHead(answer.status, headers).end();
    return;
  }
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(answer.json));
  response.writeHead(answer.status, headers).end(answer.json);
}

/**
 * A refusal or failure through the kit's own sendError (envelope, headers, 4xx/5xx logging), on a
 * stand-in for the members of Fastify's request and reply it uses. The child logger Fastify would
 * have made for the request ({ reqId }) is made here only when sendError logs.
 */
function writeError(app: App, response: ServerResponse, requestId: string, error: unknown) {
  const headers: OutgoingHttpHeaders = { 'x-request-id': requestId };
  let status = 500;
  let log: Logger | undefined;
  const request = {
    id: requestId,
    get log() {
      return (log ??= app.log.child({ reqId: requestId }) as Logger);
    },
  };
  const reply = {
    get sent() {
      return response.writableEnded;
    },
    header(name: string, value: string) {
      headers[name.toLowerCase()] = value;
      return reply;
    },
    code(code: number) {
      status = code;
      return reply;
    },
    type(type: string) {
      headers['content-type'] = type;
      return reply;
    },
    send(payload: unknown) {
      // Routes without a response schema serialise with JSON.stringify.
      const json = JSON.stringify(payload);
      headers['content-length'] = String(Buffer.byteLength(json));
      response.writeHead(status, headers).end(json);
      return reply;
    },
  };
  sendError(error, request as unknown as FastifyRequest, reply as unknown as FastifyReply);
}

/** The data port's pre-routing listener (kit createHttpApp `preRouting`). */
export function dataFastPath(app: App, call: (call: DataCall) => Promise<CallAnswer>): PreRoutingListener & { answered: number } {
  // A path whose first segment another route has may be that route's (a static segment wins over
  // a parameter in Fastify's router): Fastify decides. A route starting with a parameter would
  // make every path ambiguous: then nothing is taken here.
  const claimed = new Set<string>();
  let ambiguous = false;
  app.addHook('onRoute', (route) => {
    if (DATA_ROUTES.has(route.url)) return;
    const first = route.url.split('/')[1] ?? '';
    if (/^[:*]/.test(first)) ambiguous = true;
    claimed.add(first);
  });
  const maxParamLength = (app.initialConfig as { maxParamLength?: number }).maxParamLength ?? 100;

  const listener = (request: IncomingMessage, response: ServerResponse): boolean => {
    const { method, headers } = request;
    // Fastify reads no body for these (GET never; DELETE only with a length or transfer-encoding).
    if ((method !== 'GET' && method !== 'DELETE') || headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined || ambiguous) return false;
    const url = request.url ?? '';
    const target = dataTarget(url, claimed, maxParamLength);
    if (!target) return false;
    listener.answered++;
    const requestId = genReqId(request);
    call({ method, url, ...target, headers, body: undefined })
      .then(
        (answer) => writeAnswer(response, requestId, answer),
        (error: unknown) => writeError(app, response, requestId, error),
      )
      .catch((error: unknown) => {
        // Writing the answer itself failed: nothing sensible can be sent any more.
        app.log.error({ err: error, reqId: requestId }, 'data fast path could not answer');
        response.destroy();
      });
    return true;
  };
  listener.answered = 0;
  return listener;
}
