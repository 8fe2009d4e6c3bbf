// Personal-Link's own few styles (badges, the list of ID buttons), served from this origin so the
// kit's CSP (style-src 'self') allows them. Pages link it from their body.
import { createHash } from 'node:crypto';
import type { App } from '@jplink/kit';
import { html } from '@jplink/ui';

const CSS = `.upstream-list{list-style:none;padding:0;margin:1rem 0;display:grid;gap:.75rem}
.upstream-choice .form{margin:0;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
.upstream-button{width:100%;max-width:24rem;min-height:3rem;font-size:1.05rem}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:1rem;font-size:.85rem;font-weight:600;line-height:1.6;white-space:nowrap}
.badge-success{background:#e3f4e8;color:#14532d;border:1px solid #2e7d4f}
.muted{color:#4a5361;font-size:.92rem}
.scope-list{padding-left:1.2rem;margin:1rem 0}
.scope-list li{margin:.35rem 0}
`;
const ETAG = `"${createHash('sha256').update(CSS).digest('base64url').slice(0, 16)}"`;
export const PL_CSS_URL = `/assets/personal-link.css?v=${ETAG.slice(1, 9)}`;

export function registerPlAssets(app: App): void {
  app.get('/assets/personal-link.css', { schema: { hide: true } }, async (request, reply) => {
    reply.header('content-type', 'text/css; charset=utf-8').header('etag', ETAG).header('x-content-type-options', 'nosniff');
    reply.header('cache-control', request.url.includes('?v=') ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate');
    if (request.headers['if-none-match'] === ETAG) return reply.code(304).send();
    return CSS;
  });
}

export const plStylesheet = () => html`<link rel="stylesheet" href="${PL_CSS_URL}">`;
