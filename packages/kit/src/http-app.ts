/**
 * `createHttpApp` builds the Fastify instance every JP-Link service starts from:
 * zod type provider, the kit's error envelope, request ids, quiet request
 * logging through the kit's pino logger, and (optionally) OpenAPI at
 * `GET /openapi.json`.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import fastifySwagger from '@fastify/swagger';
import {
  fastify,
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerFactory,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
  type RouteOptions,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { errorHandler, errorResponseSchema, notFoundHandler, sendError } from './error-handler.ts';
import { genReqId } from './logger.ts';

// @fastify/swagger augments FastifySchema with the OpenAPI keywords, but with pnpm's
// `hoist: false` its .d.ts cannot resolve 'fastify', so the augmentation is lost.
// Re-declare the keywords services use (same types as @fastify/swagger 9).
declare module 'fastify' {
  interface FastifySchema {
    hide?: boolean;
    deprecated?: boolean;
    tags?: readonly string[];
    description?: string;
    summary?: string;
    operationId?: string;
    security?: ReadonlyArray<{ [securityLabel: string]: readonly string[] }>;
  }
}

/** The Fastify instance type every service works with (zod type provider). */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression<RawServerDefault>,
  RawReplyDefaultExpression<RawServerDefault>,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export type OpenApiInfo = {
  title: string;
  version: string;
  description?: string;
  /** `components.securitySchemes`, e.g. `{ bearerAuth: { type: 'http', scheme: 'bearer' } }`, for routes that declare `security`. */
  securitySchemes?: Record<string, Record<string, unknown>>;
};

export type HttpAppOptions = {
  /** Service name (used in logs). */
  name: string;
  /** A logger from `createLogger` (carries the kit's redaction). */
  logger: Logger;
  /** Max request body in bytes; default 1 MiB. Larger bodies → 413 KIT_BODY_TOO_LARGE. */
  bodyLimit?: number;
  /** Trust X-Forwarded-* (only behind a proxy you control); default false. */
  trustProxy?: boolean;
  /** TLS options; when given the server speaks HTTPS (mTLS: set `requestCert`/`ca`). */
  https?: HttpsServerOptions;
  /** When given, routes are documented and `GET /openapi.json` serves OpenAPI 3.0.3. */
  openapi?: OpenApiInfo;
  /** Fastify's per-request "incoming request"/"request completed" info logs; default true. */
  requestLogging?: boolean;
  /**
   * A hot path in front of the router: called once with the app (before any route is added, so
   * it can watch `onRoute`), it returns a listener that sees each raw request first and either
   * answers it itself (returns true) or leaves it to Fastify (false). For the few requests whose
   * per-request framework cost matters (the Adapter Server's data calls); the listener must answer
   * exactly as the app's route would. Not consulted once `app.close()` has begun (Fastify then
   * answers 503). `app.inject()` never goes through it.
   */
  preRouting?: (app: App) => PreRoutingListener;
};

/** See `HttpAppOptions.preRouting`: true = answered here, false = Fastify handles the request. */
export type PreRoutingListener = (request: IncomingMessage, response: ServerResponse) => boolean;

/** The options Fastify passes to a serverFactory (its defaults applied). */
type ServerFactoryOptions = { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket?: number | null };

/**
 * The HTTP/1.1 server Fastify itself would create (fastify/lib/server.js getServerInstance: the
 * same timeouts), whose request listener asks `route()` before handing the request to Fastify.
 */
function preRoutingServerFactory(https: HttpsServerOptions | undefined, route: PreRoutingListener): FastifyServerFactory {
  return (handler, factoryOptions) => {
    const options = factoryOptions as ServerFactoryOptions;
    const listener = (request: IncomingMessage, response: ServerResponse) => {
      if (!route(request, response)) handler(request, response);
    };
    const server = https ? createHttpsServer(https, listener) : createHttpServer(listener);
    server.keepAliveTimeout = options.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout);
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    // An https.Server serves Fastify like the http.Server the factory type names.
    return server as RawServerDefault;
  };
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** The OpenAPI version /openapi.json declares (zod schemas are emitted with the matching "openapi-3.0" target). */
export const OPENAPI_VERSION = '3.0.3';

type RouteSchemaLike = Record<string, unknown> & { hide?: boolean; response?: Record<string, unknown> };

/**
 * Every documented route gets the error envelope as its `4xx` and `5xx`
 * response (unless it declares its own), so OpenAPI shows it and the
 * serializer checks it.
 */
function addErrorResponses(route: RouteOptions): void {
  const schema = route.schema as RouteSchemaLike | undefined;
  if (!schema || schema.hide) return;
  const response = { ...(schema.response ?? {}) };
  if (!('4xx' in response)) response['4xx'] = errorResponseSchema;
  if (!('5xx' in response)) response['5xx'] = errorResponseSchema;
  route.schema = { ...schema, response };
}

/** Build a service's Fastify app. Register routes on the returned instance (or in plugins). */
export function createHttpApp(opts: HttpAppOptions): App {
  // Bound once the app exists (Fastify creates its server in the constructor, before that).
  let preRoute: PreRoutingListener | undefined;
  let closing = false;
  const base = {
    loggerInstance: opts.logger.child({ service: opts.name }),
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    trustProxy: opts.trustProxy ?? false,
    // We read X-Request-Id ourselves so that only sane tokens are accepted.
    requestIdHeader: false as const,
    genReqId, // request ids are logged as `reqId`
    ...(opts.requestLogging === false ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
    return503OnClosing: true,
    // Bad URL / too-long param / async-constraint failures bypass the error handler otherwise.
    frameworkErrors: (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      sendError(error, request, reply);
    },
  };
  // With preRouting the factory makes the (TLS) server; `https` still tells Fastify its addresses are https://.
  const options = opts.preRouting ? { ...base, serverFactory: preRoutingServerFactory(opts.https, (request, response) => !closing && preRoute!(request, response)) } : base;
  const app = (opts.https ? fastify({ ...options, https: opts.https } as typeof base & { https: HttpsServerOptions }) : fastify(options)) as unknown as App;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onRoute', addErrorResponses);

  if (opts.preRouting) {
    // Fastify marks itself closing just before running preClose hooks; from then on it answers.
    app.addHook('preClose', (done) => {
      closing = true;
      done();
    });
    preRoute = opts.preRouting(app);
  }

  if (opts.openapi) {
    const info: { title: string; version: string; description?: string } = {
      title: opts.openapi.title,
      version: opts.openapi.version,
    };
    if (opts.openapi.description !== undefined) info.description = opts.openapi.description;
    // Called directly rather than via app.register(): the plugin's setup is synchronous
    // and must install its onRoute hook NOW, so that routes the service adds right after
    // createHttpApp() returns (before ready) are documented. Registering it would defer
    // the hook until the plugin queue loads and silently miss those routes.
    fastifySwagger(
      app as unknown as FastifyInstance,
      {
        openapi: {
          openapi: OPENAPI_VERSION,
          info,
          ...(opts.openapi.securitySchemes ? { components: { securitySchemes: opts.openapi.securitySchemes } } : {}),
        },
        transform: jsonSchemaTransform,
      },
      (err?: Error) => {
        if (err) throw err;
      },
    );
    const swaggerApp = app as unknown as { swagger: () => unknown };
    app.get('/openapi.json', { schema: { hide: true }, logLevel: 'warn' }, async () => swaggerApp.swagger());
  }

  return app;
}
