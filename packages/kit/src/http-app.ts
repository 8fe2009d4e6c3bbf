/**
 * `createHttpApp` builds the Fastify instance every JP-Link service starts from:
 * zod type provider, the kit's error envelope, request ids, quiet request
 * logging through the kit's pino logger, and (optionally) OpenAPI at
 * `GET /openapi.json`.
 */
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import fastifySwagger from '@fastify/swagger';
import {
  fastify,
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
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
};

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
  const app = (opts.https ? fastify({ ...base, https: opts.https }) : fastify(base)) as unknown as App;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onRoute', addErrorResponses);

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
