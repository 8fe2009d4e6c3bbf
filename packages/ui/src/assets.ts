/**
 * The kit's two static files, read once at startup. Pages link them with a
 * content hash (`/assets/ui.css?v=…`), so a matching request may be cached
 * for a year; any other is revalidated with the ETag.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

type Asset = { body: Buffer; type: string; version: string; etag: string };

const TYPES = { 'ui.css': 'text/css; charset=utf-8', 'ui.js': 'text/javascript; charset=utf-8' } as const;
export type AssetName = keyof typeof TYPES;

function load(name: AssetName): Asset {
  const body = readFileSync(new URL(`../assets/${name}`, import.meta.url));
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { body, type: TYPES[name], version, etag: `"${version}"` };
}

const ASSETS: Record<AssetName, Asset> = { 'ui.css': load('ui.css'), 'ui.js': load('ui.js') };

/** `/assets/ui.css?v=<hash>`: the URL pages use. */
export function assetUrl(name: AssetName): string {
  return `/assets/${name}?v=${ASSETS[name].version}`;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=0, must-revalidate';

export function registerAssets(app: FastifyInstance): void {
  for (const name of Object.keys(ASSETS) as AssetName[]) {
    const asset = ASSETS[name];
    app.get(`/assets/${name}`, { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
      const v = (request.query as Record<string, unknown>).v;
      reply
        .header('etag', asset.etag)
        .header('cache-control', v === asset.version ? IMMUTABLE : REVALIDATE)
        .header('x-content-type-options', 'nosniff');
      const inm = request.headers['if-none-match'];
      if (inm !== undefined && inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag)) {
        return reply.code(304).send();
      }
      return reply.type(asset.type).send(asset.body);
    });
  }
}
