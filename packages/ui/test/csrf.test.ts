import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, type App } from '@jplink/kit';
import { createLoginCsrf, randomToken, registerUi, verifyCsrf } from '../src/index.ts';
import { buildDemoApp, injectSignIn } from './demo-app.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const TOKEN = randomToken();

describe('verifyCsrf', () => {
  let app: App;
  beforeAll(async () => {
    app = createHttpApp({ name: 'csrf', logger: createLogger({ name: 'csrf', level: 'silent' }) });
    registerUi(app, { secureCookies: false });
    app.addHook('preValidation', async (request) => verifyCsrf(request, { csrfToken: TOKEN }));
    app.post('/change', async () => ({ changed: true }));
    app.get('/view', async () => ({ viewed: true }));
    await app.ready();
  });
  afterAll(() => app.close());

  const post = (payload: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/change', payload, headers: { ...FORM, host: 'admin.example.jp', ...headers } });

  it('lets a same-origin post with the session token through (form field or header)', async () => {
    expect((await post(`_csrf=${TOKEN}&x=1`, { origin: 'https://admin.example.jp', 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);
    expect((await post('x=1', { 'x-csrf-token': TOKEN })).statusCode).toBe(200);
  });

  it('rejects a post without a token with 403 UI_CSRF_INVALID', async () => {
    const res = await post('x=1');
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('UI_CSRF_INVALID');
  });

  it('rejects a wrong token, including one of another length and a repeated field', async () => {
    for (const bad of [randomToken(), TOKEN.slice(0, 42), `${TOKEN}x`, '', `${TOKEN}&_csrf=${TOKEN}`]) {
      expect((await post(`_csrf=${bad}`)).statusCode).toBe(403);
    }
  });

  it('rejects a cross-site post even with the right token (Sec-Fetch-Site)', async () => {
    const res = await post(`_csrf=${TOKEN}`, { 'sec-fetch-site': 'cross-site' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('UI_CSRF_INVALID');
  });

  it('rejects an Origin of another host, "null", or garbage, even with the right token', async () => {
    for (const origin of ['https://evil.example', 'https://admin.example.jp.evil.example', 'https://admin.example.jp:8443', 'null', 'not a url']) {
      expect((await post(`_csrf=${TOKEN}`, { origin })).statusCode).toBe(403);
    }
  });

  it('lets safe methods through without a token', async () => {
    expect((await app.inject({ url: '/view', headers: { 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(200);
  });
});

describe('sign-in CSRF (signed double submit)', () => {
  let app: App;
  const clock = { now: 1_700_000_000_000 };
  beforeAll(async () => {
    app = createHttpApp({ name: 'login', logger: createLogger({ name: 'login', level: 'silent' }) });
    registerUi(app, { secureCookies: false });
    const csrf = createLoginCsrf({ secure: false, secret: 'a'.repeat(32), ttlSeconds: 600, now: () => clock.now });
    app.get('/sign-in', async (_request, reply) => ({ token: csrf.issueLoginCsrf(reply) }));
    app.post('/sign-in', async (request) => {
      csrf.verifyLoginCsrf(request);
      return { ok: true };
    });
    await app.ready();
  });
  afterAll(() => app.close());

  const issue = async (cookie?: string) => {
    const res = await app.inject({ url: '/sign-in', headers: cookie ? { cookie } : {} });
    const c = res.cookies.find((x) => x.name === 'jplink_signin_csrf')!;
    return { token: res.json().token as string, cookie: `${c.name}=${c.value}`, set: c };
  };
  const signIn = (token: string | undefined, cookie: string | undefined, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/sign-in',
      payload: token === undefined ? 'username=a' : `username=a&_csrf=${encodeURIComponent(token)}`,
      headers: { ...FORM, ...(cookie ? { cookie } : {}), ...headers },
    });

  it('issues an HttpOnly SameSite=Lax cookie and a token that verifies with it', async () => {
    const { token, cookie, set } = await issue();
    expect(set).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 600 });
    expect((await signIn(token, cookie)).statusCode).toBe(200);
  });

  it('keeps the browser nonce, so two open sign-in tabs both work', async () => {
    const first = await issue();
    const second = await issue(first.cookie);
    expect(second.cookie).toBe(first.cookie);
    expect((await signIn(first.token, first.cookie)).statusCode).toBe(200);
    expect((await signIn(second.token, first.cookie)).statusCode).toBe(200);
  });

  it('rejects a missing cookie, a missing token, or a token signed for another cookie', async () => {
    const a = await issue();
    const b = await issue();
    expect((await signIn(a.token, undefined)).statusCode).toBe(403);
    expect((await signIn(undefined, a.cookie)).statusCode).toBe(403);
    expect((await signIn(b.token, a.cookie)).statusCode).toBe(403);
    expect((await signIn('garbage', a.cookie)).statusCode).toBe(403);
  });

  it('rejects an expired token', async () => {
    const { token, cookie } = await issue();
    clock.now += 601_000;
    const res = await signIn(token, cookie);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('UI_CSRF_INVALID');
  });

  it('rejects a cross-site sign-in post even with a valid pair', async () => {
    const { token, cookie } = await issue();
    expect((await signIn(token, cookie, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await signIn(token, cookie, { origin: 'https://evil.example' })).statusCode).toBe(403);
  });

  it('uses a __Host- cookie when secure', () => {
    const reply = { request: { headers: {} }, header: (_: string, v: string) => (set = v) } as never;
    let set = '';
    createLoginCsrf({ secure: true }).issueLoginCsrf(reply);
    expect(set).toMatch(/^__Host-jplink_signin_csrf=[A-Za-z0-9_-]{43}; Max-Age=7200; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('refuses a short secret', () => {
    expect(() => createLoginCsrf({ secure: false, secret: 'short' })).toThrow(/32 bytes/);
  });
});

describe('the demo app', () => {
  let app: App;
  beforeAll(async () => {
    app = buildDemoApp();
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers a signed-in POST without the CSRF token with 403, and accepts it with the token', async () => {
    const { res: signedIn, cookie } = await injectSignIn(app);
    expect(signedIn.statusCode).toBe(303);
    const dashboard = await app.inject({ url: '/', headers: { cookie: cookie! } });
    const token = /name="_csrf" value="([^"]+)"/.exec(dashboard.body)![1]!;

    const forged = await app.inject({ method: 'POST', url: '/notes', headers: { ...FORM, cookie: cookie! }, payload: 'note=forged' });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error.code).toBe('UI_CSRF_INVALID');

    const real = await app.inject({ method: 'POST', url: '/notes', headers: { ...FORM, cookie: cookie! }, payload: `note=real&_csrf=${token}` });
    expect(real.statusCode).toBe(303);
  });
});
