// Test support: a running Personal-Link on loopback with a fresh schema and the dev upstream, a
// cookie-jar HTTP client that follows redirects by hand (a browser without JavaScript), and form
// helpers for the resident pages.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@jplink/kit';
import { createTestDatabase, type TestDatabase } from '@jplink/db/testing';
import { freePort } from '@jplink/testing';
import { plConfigSchema } from './config.ts';
import { createPersonalLink, type PersonalLink } from './personal-link.ts';
import type { PlTables } from './db/schema.ts';
import { startDevUpstream, type DevUpstream } from './dev-upstream.ts';
import type { ClientRegistration } from './oidc/clients.ts';

export interface RunningPersonalLink {
  pl: PersonalLink;
  database: TestDatabase<PlTables>;
  /** Resident pages' origin, e.g. http://127.0.0.1:1234 */
  baseUrl: string;
  issuer: string;
  adminUrl: string;
  adminKey: string;
  /** The RP API listener for arrival through the Security Server (with PL_SS_API_PORT), e.g. http://127.0.0.1:1236 */
  ssApiUrl: string | undefined;
  dev: DevUpstream;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Registers an RP through the admin API; returns its client id and secret. */
  registerRp(body: ClientRegistration): Promise<{ clientId: string; clientSecret: string }>;
  stop(): Promise<void>;
}

export async function startTestPersonalLink(env: Record<string, string> = {}, opts: { now?: () => Date; logger?: Logger } = {}): Promise<RunningPersonalLink> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jplink-pl-'));
  const port = await freePort();
  const adminPort = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dev = await startDevUpstream({ personalLinkBase: baseUrl });
  const config = plConfigSchema.parse({
    JPLINK_MODE: 'development',
    PL_DATA_DIR: dataDir,
    PL_SECRET_FILE: join(dataDir, 'unused'),
    PL_ISSUER: `${baseUrl}/oidc`,
    PL_HOST: '127.0.0.1',
    PL_PORT: String(port),
    PL_ADMIN_PORT: String(adminPort),
    PL_LOG_LEVEL: 'silent',
    PL_ALLOW_PRIVATE_NETWORK: 'true',
    ...env,
  });
  const database = await createTestDatabase<PlTables>('personal_link');
  const logger = opts.logger ?? createLogger({ name: 'personal-link', level: process.env.JPLINK_TEST_LOG ?? 'silent' });
  const pl = await createPersonalLink(config, { database, logger, passphrase: 'personal-link-test-passphrase', extraUpstreams: dev.upstreams, ...(opts.now ? { now: opts.now } : {}) });
  const bound = await pl.listen();
  const adminKey = (await readFile(pl.files.adminApiKey, 'utf8')).trim();
  const adminUrl = `http://127.0.0.1:${bound.admin}`;
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: response.status, body: parsed as any };
  };
  return {
    pl,
    database,
    baseUrl,
    issuer: config.PL_ISSUER,
    adminUrl,
    adminKey,
    ssApiUrl: bound.ssApi !== undefined ? `${config.PL_SS_API_TLS_CERT_FILE ? 'https' : 'http'}://127.0.0.1:${bound.ssApi}` : undefined,
    dev,
    admin,
    async registerRp(body) {
      const r = await admin('POST', '/api/v1/clients', body);
      if (r.status !== 201) throw new Error(`registering the RP failed: ${r.status} ${JSON.stringify(r.body)}`);
      return { clientId: r.body.client.clientId, clientSecret: r.body.clientSecret };
    },
    async stop() {
      await pl.close();
      await dev.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  expires: number | undefined;
}

/** A cookie jar and fetch with manual redirects: what a browser does, minus JavaScript. */
export class HttpBrowser {
  private cookies: StoredCookie[] = [];

  cookieHeader(url: URL): string {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === undefined || c.expires > now);
    return this.cookies
      .filter((c) => c.host === url.hostname && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  cookie(name: string): string | undefined {
    return this.cookies.find((c) => c.name === name)?.value;
  }

  private store(url: URL, headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expires: number | undefined;
      for (const a of attrs) {
        const [k, v = ''] = a.trim().split('=');
        const key = k!.toLowerCase();
        if (key === 'path') path = v || '/';
        if (key === 'max-age') expires = Date.now() + Number(v) * 1000;
        if (key === 'expires' && expires === undefined) expires = Date.parse(v);
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.hostname && c.path === path));
      if (expires === undefined || expires > Date.now()) this.cookies.push({ name, value, host: url.hostname, path, expires });
    }
  }

  /** One request, no redirect following; cookies are sent and stored. */
  async request(url: string | URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<{ url: URL; status: number; headers: Headers; text: string; location?: URL }> {
    const target = new URL(url);
    const cookie = this.cookieHeader(target);
    const response = await fetch(target, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded', origin: target.origin } : {}), 'accept-language': 'ja', ...init.headers },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    this.store(target, response.headers);
    const text = await response.text();
    const loc = response.headers.get('location');
    return { url: target, status: response.status, headers: response.headers, text, ...(loc ? { location: new URL(loc, target) } : {}) };
  }

  /** Follows redirects (303/302 → GET) until a page answers or `stop(url)` says so; returns the last response or the stopping URL. */
  async follow(url: string | URL, init: { method?: string; form?: Record<string, string> } = {}, stop: (url: URL) => boolean = () => false): Promise<{ url: URL; status: number; text: string; headers: Headers; stopped: boolean }> {
    let response = await this.request(url, init);
    for (let hops = 0; hops < 20; hops++) {
      if (!response.location || response.status < 300 || response.status >= 400) return { ...response, stopped: false };
      if (stop(response.location)) return { url: response.location, status: response.status, text: '', headers: response.headers, stopped: true };
      response = await this.request(response.location);
    }
    throw new Error('too many redirects');
  }
}

/** The forms of a page: action, hidden fields, and submit buttons' name/value. */
export function parseForms(page: string): { action: string; method: string; fields: Record<string, string>; buttons: { name?: string; value?: string; text: string }[] }[] {
  const forms: ReturnType<typeof parseForms> = [];
  for (const m of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attr = (s: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(s)?.[1];
    const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
    const fields: Record<string, string> = {};
    for (const input of m[2]!.matchAll(/<input\b([^>]*)>/g)) {
      const name = attr(input[1]!, 'name');
      if (name) fields[name] = decode(attr(input[1]!, 'value') ?? '');
    }
    const buttons = [...m[2]!.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)].map((b) => {
      const name = attr(b[1]!, 'name');
      const value = attr(b[1]!, 'value');
      return { ...(name ? { name } : {}), ...(value !== undefined ? { value: decode(value) } : {}), text: b[2]!.replace(/<[^>]+>/g, '').trim() };
    });
    forms.push({ action: decode(attr(m[1]!, 'action') ?? ''), method: (attr(m[1]!, 'method') ?? 'get').toLowerCase(), fields, buttons });
  }
  return forms;
}

/**
 * A resident signs in to Personal-Link's own pages (`/my`) with a dev upstream ID and gets a
 * BaseID; the browser keeps the resident session (for approving consents, for example).
 */
export async function signInResident(browser: HttpBrowser, baseUrl: string, user = 'hanako', upstream = 'google'): Promise<{ baseId: string }> {
  const chooser = await browser.follow(`${baseUrl}/my`);
  const choice = parseForms(chooser.text).find((f) => f.fields.upstream === upstream);
  if (!choice) throw new Error(`no upstream ${upstream} on ${chooser.url.href}`);
  const atUpstream = await browser.follow(new URL(choice.action, chooser.url), { form: choice.fields });
  const pick = parseForms(atUpstream.text).find((f) => f.buttons.some((b) => b.name === 'sub'));
  const my = pick ? await browser.follow(new URL(pick.action, atUpstream.url), { form: { sub: user } }) : atUpstream;
  const baseId = /<code data-base-id>([^<]+)<\/code>/.exec(my.text)?.[1];
  if (!baseId) throw new Error(`the resident sign-in did not reach /my: ${my.status} ${my.url.href}`);
  return { baseId };
}

/** {@link signInResident} in a fresh {@link HttpBrowser}: the browser and the BaseID shown. */
export async function residentSignIn(baseUrl: string, user: string, upstream = 'google'): Promise<{ browser: HttpBrowser; baseId: string }> {
  const browser = new HttpBrowser();
  const { baseId } = await signInResident(browser, baseUrl, user, upstream);
  return { browser, baseId };
}
