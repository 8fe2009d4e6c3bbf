// Public HTTP routes of the Center (port 80 in production): the global configuration, the OCSP
// responder and the TSA. Machine-to-machine, no authentication: everything served is signed.
import { configurationAnchorSchema, globalConfPointerSchema } from '@jplink/contracts';
import { AppError, type App } from '@jplink/kit';
import type { Counter } from 'prom-client';
import { z } from 'zod';
import { CENTER_ERRORS } from '../errors.ts';
import type { GlobalConfPublisher } from '../globalconf/publisher.ts';
import { findGlobalConf } from '../db/global-conf.ts';
import type { CenterDb } from '../db/database.ts';
import type { OcspOutcome } from '../ocsp/responder.ts';
import type { TsaOutcome } from '../tsa/timestamper.ts';
import type { ConfigurationAnchor } from '@jplink/contracts';

export interface PublicRouteDeps {
  db: CenterDb;
  publisher: GlobalConfPublisher;
  anchor: () => ConfigurationAnchor;
  ocsp: (der: Uint8Array) => Promise<OcspOutcome>;
  tsa: (der: Uint8Array) => Promise<TsaOutcome>;
  counters: { ocsp: Counter<'outcome'>; tsa: Counter<'outcome'> };
}

/** Largest OCSP request we read (a handful of CertIDs and a nonce fit in far less). */
const OCSP_MAX_BYTES = 16 * 1024;
const TSA_MAX_BYTES = 16 * 1024;

export function registerPublicRoutes(app: App, deps: PublicRouteDeps) {
  app.addContentTypeParser(['application/ocsp-request', 'application/timestamp-query'], { parseAs: 'buffer', bodyLimit: Math.max(OCSP_MAX_BYTES, TSA_MAX_BYTES) }, (_req, body, done) => done(null, body));

  const current = () => {
    const published = deps.publisher.current;
    if (!published) throw new AppError(CENTER_ERRORS.CENTER_GLOBAL_CONF_UNAVAILABLE);
    return published;
  };

  app.get(
    '/globalconf/v1/latest.json',
    { schema: { summary: 'Pointer to the newest signed global configuration', response: { 200: globalConfPointerSchema } } },
    async (_request, reply) => {
      const published = current();
      reply.header('cache-control', 'no-cache');
      return {
        instance: published.conf.instance,
        version: published.version,
        document: `conf-${published.version}.json`,
        signature: `conf-${published.version}.json.p7s`,
        documentSha256: published.documentSha256,
        expiresAt: published.expiresAt.toISOString(),
      };
    },
  );

  const versionParams = z.object({ file: z.string().regex(/^conf-\d{1,10}\.json(\.p7s)?$/) });
  app.get(
    '/globalconf/v1/:file',
    { schema: { summary: 'A published global configuration (conf-N.json) or its detached CMS signature (conf-N.json.p7s)', params: versionParams } },
    async (request, reply) => {
      const version = Number(/^conf-(\d+)/.exec(request.params.file)![1]);
      const published = deps.publisher.current;
      const row =
        published && published.version === version
          ? { document: published.document, signature: published.signature }
          : await findGlobalConf(deps.db, version);
      if (!row) throw new AppError(CENTER_ERRORS.CENTER_GLOBAL_CONF_UNAVAILABLE, { message: 'No such configuration version.' });
      reply.header('cache-control', 'public, max-age=86400, immutable');
      if (request.params.file.endsWith('.p7s')) return reply.type('application/pkcs7-signature').send(row.signature);
      return reply.type('application/json; charset=utf-8').send(row.document);
    },
  );

  app.get(
    '/globalconf/v1/anchor.json',
    { schema: { summary: 'The configuration anchor (verify it out of band before trusting it)', response: { 200: configurationAnchorSchema } } },
    async () => deps.anchor(),
  );

  const sendOcsp = async (der: Uint8Array, reply: import('fastify').FastifyReply) => {
    const outcome = await deps.ocsp(der);
    deps.counters.ocsp.inc({ outcome: outcome.kind });
    return reply.type('application/ocsp-response').header('cache-control', 'no-store').send(Buffer.from(outcome.der));
  };

  app.post(
    '/ocsp',
    { schema: { summary: 'OCSP (RFC 6960) over POST, body application/ocsp-request' }, bodyLimit: OCSP_MAX_BYTES },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      return sendOcsp(body, reply);
    },
  );

  app.get(
    '/ocsp/*',
    { schema: { summary: 'OCSP (RFC 6960) over GET: the DER request base64-encoded in the path' } },
    async (request, reply) => {
      let encoded: string;
      try {
        encoded = decodeURIComponent((request.params as { '*': string })['*'] ?? '');
      } catch {
        return sendOcsp(Buffer.alloc(0), reply); // malformed percent-encoding: malformedRequest
      }
      if (encoded.length > 4 * OCSP_MAX_BYTES || !/^[A-Za-z0-9+/=_-]*$/.test(encoded)) return sendOcsp(Buffer.alloc(0), reply);
      return sendOcsp(Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64'), reply);
    },
  );

  app.post(
    '/tsa',
    { schema: { summary: 'Time-stamping (RFC 3161) over HTTP, body application/timestamp-query' }, bodyLimit: TSA_MAX_BYTES },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const outcome = await deps.tsa(body);
      deps.counters.tsa.inc({ outcome: outcome.kind });
      return reply.type('application/timestamp-reply').header('cache-control', 'no-store').send(Buffer.from(outcome.der));
    },
  );
}
