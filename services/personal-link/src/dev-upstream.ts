// DEVELOPMENT AND TESTS ONLY: real local OpenID Providers playing the upstream IDs (Google, Apple,
// d-account, MyDID, TRUSTDOCK) for Personal-Link, several issuers from one process:
// `http://host:port/<name>` each. Test users are chosen with one button (no passwords); the MyDID
// and TRUSTDOCK issuers state the identity-verified acr and verified attributes. Apple's issuer
// answers with response_mode=form_post like the real one.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';
import { escapeHtml } from '@jplink/ui';
import type { UpstreamDefinition } from './upstream/definitions.ts';
import { ACR_VERIFIED } from './oidc/provider.ts';

export interface DevUpstreamUser {
  sub: string;
  name: string;
  email: string;
  birthdate: string;
  address: string;
}

export const DEV_UPSTREAM_USERS: readonly DevUpstreamUser[] = [
  { sub: 'hanako', name: '山田 花子', email: 'hanako@example.jp', birthdate: '1988-04-01', address: '大阪府豊能郡豊能町余野 414-1' },
  { sub: 'taro', name: '佐藤 太郎', email: 'taro@example.jp', birthdate: '1975-12-24', address: '富山県富山市新総曲輪 1-7' },
];

interface DevIssuer {
  name: string;
  label: { ja: string; en: string };
  verified: boolean;
  formPost: boolean;
}

export const DEV_ISSUERS: readonly DevIssuer[] = [
  { name: 'google', label: { ja: 'Google（テスト）', en: 'Google (test)' }, verified: false, formPost: false },
  { name: 'apple', label: { ja: 'Apple（テスト）', en: 'Apple (test)' }, verified: false, formPost: true },
  { name: 'd-account', label: { ja: 'dアカウント（テスト）', en: 'd ACCOUNT (test)' }, verified: false, formPost: false },
  { name: 'mydid', label: { ja: 'MyDID（テスト・本人確認済）', en: 'MyDID (test, verified)' }, verified: true, formPost: false },
  { name: 'trustdock', label: { ja: 'TRUSTDOCK（テスト・本人確認済）', en: 'TRUSTDOCK (test, verified)' }, verified: true, formPost: false },
];

export interface DevUpstream {
  url: string;
  /** Issuer URL per name. */
  issuers: Record<string, string>;
  /** Upstream definitions for Personal-Link (`extraUpstreams`, or JSON for PL_UPSTREAMS). */
  upstreams: UpstreamDefinition[];
  close(): Promise<void>;
}

/** A small in-memory adapter (the dev upstream keeps nothing across restarts). */
function memoryAdapter() {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number | undefined }>();
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    const live = (k: string) => {
      const e = store.get(k);
      if (!e) return undefined;
      if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) return void store.delete(k);
      return e.payload;
    };
    const findBy = (field: 'uid' | 'userCode', value: string) => {
      for (const [k, e] of store) if (k.startsWith(`${model}:`) && e.payload[field] === value) return live(k);
      return undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        store.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        return findBy('uid', uid);
      },
      async findByUserCode(code) {
        return findBy('userCode', code);
      },
      async consume(id) {
        const p = live(key(id));
        if (p) p.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, e] of store) if (k.startsWith(`${model}:`) && e.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}

function devKeys(): { keys: Record<string, unknown>[] } {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return { keys: [{ ...rsa, kid: 'dev-rs256', alg: 'RS256', use: 'sig' }, { ...ec, kid: 'dev-es256', alg: 'ES256', use: 'sig' }] };
}

function buildIssuer(base: string, issuer: DevIssuer, personalLinkBase: string, users: readonly DevUpstreamUser[], jwks: { keys: Record<string, unknown>[] }): Provider {
  const redirect = `${personalLinkBase}/upstream/${issuer.name}/callback`;
  const config: Configuration = {
    adapter: memoryAdapter() as unknown as Configuration['adapter'],
    jwks: jwks as Configuration['jwks'],
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    clients: [{ client_id: 'personal-link', client_secret: devSecret(issuer.name), redirect_uris: [redirect], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    claims: { openid: ['sub'], profile: ['name', 'birthdate'], email: ['email', 'email_verified'], address: ['address'] },
    scopes: ['openid', 'profile', 'email', 'address'],
    acrValues: issuer.verified ? [ACR_VERIFIED] : [],
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    // Own cookie names: browsers share cookies across ports of one host, and Personal-Link (also
    // oidc-provider) may run on the same host.
    cookies: { keys: [`dev-upstream-${issuer.name}-cookie-key`], names: { session: `_dev_${issuer.name}_session`, interaction: `_dev_${issuer.name}_interaction`, resume: `_dev_${issuer.name}_resume` } },
    interactions: { url: async (_ctx, interaction) => `/${issuer.name}/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const user = users.find((u) => u.sub === id);
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          // Apple states no name in its tokens (only on the first authorization, in a form field).
          const base = { sub: user.sub, email: user.email, email_verified: true };
          if (issuer.name === 'apple') return base;
          return { ...base, name: user.name, ...(issuer.verified ? { birthdate: user.birthdate, address: { formatted: user.address } } : {}) };
        },
      };
    },
    // Consent is implied: the dev upstream grants every scope asked for.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(String(ctx.oidc.params?.scope ?? 'openid'));
      await grant.save();
      return grant;
    },
  };
  return new Provider(`${base}/${issuer.name}`, config);
}

/** The client secret Personal-Link uses at a dev issuer (not a secret: development only). */
export const devSecret = (name: string) => `dev-upstream-${name}-secret-0123456789`;

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
      if (body.length > 65536) req.destroy();
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function loginPage(issuer: DevIssuer, uid: string, users: readonly DevUpstreamUser[]): string {
  const buttons = users
    .map((u) => `<li><button type="submit" name="sub" value="${escapeHtml(u.sub)}" data-user="${escapeHtml(u.sub)}">${escapeHtml(u.name)}（${escapeHtml(u.email)}）</button></li>`)
    .join('');
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(issuer.label.ja)}</title></head>
<body><h1>${escapeHtml(issuer.label.ja)}</h1><p>開発用のテスト ID プロバイダーです。サインインする利用者を選んでください。</p>
<form method="post" action="/${issuer.name}/interaction/${escapeHtml(uid)}/login"><ul>${buttons}</ul></form>
<form method="post" action="/${issuer.name}/interaction/${escapeHtml(uid)}/deny"><button type="submit" data-deny>キャンセル</button></form></body></html>`;
}

/** Starts the dev upstream. `personalLinkBase` is Personal-Link's public origin (its callback URLs). */
export async function startDevUpstream(opts: { personalLinkBase: string; host?: string; port?: number; publicUrl?: string; users?: readonly DevUpstreamUser[]; issuers?: readonly string[] }): Promise<DevUpstream> {
  const users = opts.users ?? DEV_UPSTREAM_USERS;
  const chosen = DEV_ISSUERS.filter((i) => !opts.issuers || opts.issuers.includes(i.name));
  const host = opts.host ?? '127.0.0.1';
  const providers = new Map<string, { provider: Provider; issuer: DevIssuer; handle: (req: IncomingMessage, res: ServerResponse) => void }>();
  let base = opts.publicUrl ?? '';

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const [, name, ...rest] = url.pathname.split('/');
      const entry = providers.get(name ?? '');
      if (!entry) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
        return;
      }
      const { provider, issuer } = entry;
      if (rest[0] === 'interaction' && rest[1]) {
        const details = await provider.interactionDetails(req, res);
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(loginPage(issuer, details.uid, users));
          return;
        }
        const form = await readForm(req);
        if (rest[2] === 'deny') {
          await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user cancelled.' }, { mergeWithLastSubmission: false });
          return;
        }
        const sub = form.get('sub') ?? '';
        if (!users.some((u) => u.sub === sub)) {
          res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('unknown test user');
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: sub, ...(issuer.verified ? { acr: ACR_VERIFIED } : {}) } }, { mergeWithLastSubmission: false });
        return;
      }
      // Hand the rest to the issuer's provider, mounted at /<name>.
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      req.url = req.url!.slice(name!.length + 1) || '/';
      entry.handle(req, res);
    })().catch((error: Error) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`dev upstream: ${error.name}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  if (!base) base = `http://${host}:${port}`;
  const jwks = devKeys();
  for (const issuer of chosen) {
    const provider = buildIssuer(base, issuer, opts.personalLinkBase, users, jwks);
    providers.set(issuer.name, { provider, issuer, handle: provider.callback() as unknown as (req: IncomingMessage, res: ServerResponse) => void });
  }
  const upstreams: UpstreamDefinition[] = chosen.map((i) => ({
    id: i.name,
    preset: 'generic',
    issuer: `${base}/${i.name}`,
    clientId: 'personal-link',
    clientSecret: devSecret(i.name),
    authMethod: 'client_secret_basic',
    scopes: i.verified ? ['openid', 'profile', 'address'] : i.name === 'apple' ? ['openid', 'email'] : ['openid', 'profile', 'email'],
    verified: i.verified,
    ...(i.verified ? { acr: ACR_VERIFIED } : {}),
    displayName: i.label,
    responseMode: i.formPost ? 'form_post' : 'query',
    verifiedClaims: i.verified ? ['name', 'birthdate', 'address'] : [],
    allowInsecure: base.startsWith('http:'),
  }));
  return {
    url: base,
    issuers: Object.fromEntries(chosen.map((i) => [i.name, `${base}/${i.name}`])),
    upstreams,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
