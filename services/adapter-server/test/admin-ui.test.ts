// The admin UI's guards and forms without a browser (app.inject): sign-in, CSRF, throttle, CSP,
// languages, escaping, and core refusals shown on the page instead of JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '@jplink/kit';
import { adminUi } from '../src/ui/index.ts';
import { createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '../src/testing.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SESSION_COOKIE = 'jplink_adapter_admin';
const XSS_TABLE = '<script>alert(1)</script>';
const XSS_COLUMN = '<img src=x onerror=alert(2)>';

let adapter: RunningAdapter;
let sample: SampleTarget;
let app: App;
const routes: Array<{ method: string; url: string }> = [];

beforeAll(async () => {
  sample = await createPostgresSample();
  await sample.exec(`create table ${sample.schema}."${XSS_TABLE}" (id serial primary key, "${XSS_COLUMN}" text)`);
  adapter = await startTestAdapter({}, {
    registerUi: async (admin, core, options) => {
      admin.addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) routes.push({ method, url: route.url });
      });
      await adminUi({ signInAttempts: 3 })(admin, core, options);
    },
  });
  app = adapter.adapter.adminApp;
  const created = await adapter.admin('POST', '/api/v1/connections', sample.connection);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}, 60_000);

afterAll(async () => {
  await adapter?.stop();
  await sample?.drop();
});

const cookieOf = (res: LightMyRequestResponse, name: string) => res.cookies.find((c) => c.name === name);
const csrfIn = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1];

/** Posts the sign-in form from `remoteAddress` as a browser would (its cookie and token). */
async function postSignIn(key: string, remoteAddress = '127.0.0.1', query = '') {
  const page = await app.inject({ url: `/sign-in${query}`, remoteAddress });
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const next = /name="next" value="([^"]*)"/.exec(page.body)![1]!;
  return app.inject({ method: 'POST', url: '/sign-in', remoteAddress, headers: { ...FORM, cookie }, payload: new URLSearchParams({ _csrf: csrfIn(page.body)!, key, next }).toString() });
}

/** A signed-in administrator: GET and form POST with the session cookie and its CSRF token. */
async function signedIn(remoteAddress = '127.0.0.1') {
  const res = await postSignIn(adapter.adminKey, remoteAddress);
  expect(res.statusCode).toBe(303);
  const cookie = `${SESSION_COOKIE}=${cookieOf(res, SESSION_COOKIE)!.value}`;
  const home = await app.inject({ url: '/', headers: { cookie }, remoteAddress });
  const csrf = csrfIn(home.body)!;
  return {
    cookie,
    csrf,
    get: (url: string) => app.inject({ url, headers: { cookie }, remoteAddress }),
    post: (url: string, fields: Record<string, string | string[]> = {}, options: { csrf?: string | null; headers?: Record<string, string> } = {}) => {
      const body = new URLSearchParams();
      const token = options.csrf === undefined ? csrf : options.csrf;
      if (token !== null) body.append('_csrf', token);
      for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
      return app.inject({ method: 'POST', url, headers: { ...FORM, cookie, ...options.headers }, remoteAddress, payload: body.toString() });
    },
  };
}

/** A page (never the API's JSON): HTML with the kit's security headers (and this text). */
function expectPage(res: LightMyRequestResponse, status: number, text?: string) {
  expect(res.statusCode, res.body.slice(0, 500)).toBe(status);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body.startsWith('<!doctype html>')).toBe(true);
  if (text !== undefined) expect(res.body).toContain(text);
}

const uiRoutes = (method: string) =>
  [...new Set(routes.filter((r) => r.method === method && !/^\/(api\/|openapi\.json|healthz|readyz|metrics|assets\/|sign-in)/.test(r.url)).map((r) => r.url))];
const sampleUrl = (pattern: string) => pattern.replace(/:(\w+)/g, (_, name: string) => `sample-${name}`);

describe('signing in', () => {
  it('every page needs a session: GET redirects to the sign-in page (coming back after it), POST is refused', async () => {
    const pages = uiRoutes('GET');
    expect(pages).toEqual(expect.arrayContaining(['/', '/connections', '/connections/:name', '/subsystems/:code', '/subsystems/:code/services/new', '/subsystems/:code/services/:name', '/consents']));
    for (const pattern of pages) {
      const res = await app.inject({ url: sampleUrl(pattern) });
      expect(res.statusCode, pattern).toBe(303);
      expect(res.headers.location, pattern).toMatch(/^\/sign-in/);
    }
    const posts = uiRoutes('POST');
    expect(posts.length).toBeGreaterThan(8);
    for (const pattern of posts) {
      const res = await app.inject({ method: 'POST', url: sampleUrl(pattern), headers: FORM, payload: 'x=1' });
      expectPage(res, 403);
      expect(res.body).toContain('セッションの有効期限が切れました');
    }
    // The kit's assets and the sign-in page are public.
    expect((await app.inject({ url: '/assets/ui.css' })).statusCode).toBe(200);
    const signInPage = await app.inject({ url: '/sign-in?next=/subsystems' });
    expectPage(signInPage, 200, '管理 API キー');
    // After signing in, back where the administrator was going (only ever a path on this site).
    expect((await postSignIn(adapter.adminKey, '127.0.0.1', '?next=/subsystems')).headers.location).toBe('/subsystems');
    const page = await app.inject({ url: '/sign-in?next=//evil.example/' });
    const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const res = await app.inject({ method: 'POST', url: '/sign-in', headers: { ...FORM, cookie }, payload: new URLSearchParams({ _csrf: csrfIn(page.body)!, key: adapter.adminKey, next: '//evil.example/' }).toString() });
    expect(res.headers.location).toBe('/');
  });

  it('a wrong key is refused on the page and audited; the session cookie is HttpOnly and SameSite', async () => {
    const res = await postSignIn('jpl_not-the-key-at-all', '10.0.0.1');
    expectPage(res, 401, 'API キーが正しくありません。');
    expect(cookieOf(res, SESSION_COOKIE)).toBeUndefined();
    const events = (await adapter.admin('GET', '/api/v1/audit-events?action=admin.authentication-failed')).body as Array<{ actor: string; outcome: string; details: Record<string, unknown> }>;
    expect(events[0]).toMatchObject({ actor: 'anonymous', outcome: 'failure', details: { ip: '10.0.0.1', via: 'ui' } });

    const ok = await postSignIn(adapter.adminKey, '10.0.0.1');
    expect(ok.statusCode).toBe(303);
    const session = cookieOf(ok, SESSION_COOKIE)!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session.secure).toBeFalsy(); // plain HTTP in tests (secureCookies: false)
  });

  it('after 3 failures an address is locked out (429 page), even with the right key; other addresses are not', async () => {
    for (let i = 0; i < 3; i++) expectPage(await postSignIn(`jpl_wrong-${i}-xxxxxxxx`, '10.0.0.2'), 401);
    const locked = await postSignIn(adapter.adminKey, '10.0.0.2');
    expectPage(locked, 429, 'サインインの試行回数が多すぎます');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(cookieOf(locked, SESSION_COOKIE)).toBeUndefined();
    expect((await postSignIn(adapter.adminKey, '10.0.0.3')).statusCode).toBe(303);
  });

  it('the sign-in form needs its CSRF cookie and token', async () => {
    const noToken = await app.inject({ method: 'POST', url: '/sign-in', headers: FORM, payload: new URLSearchParams({ key: adapter.adminKey }).toString() });
    expectPage(noToken, 403);
    expect(cookieOf(noToken, SESSION_COOKIE)).toBeUndefined();
  });

  it('signing out ends the session', async () => {
    const admin = await signedIn();
    const out = await admin.post('/sign-out');
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/sign-in?done=signed-out');
    expect((await admin.get('/connections')).statusCode).toBe(303);
  });
});

describe('CSRF, headers, languages', () => {
  it('a POST without the token, with another session’s token, or from another site → 403, and nothing changes', async () => {
    const admin = await signedIn();
    const other = await signedIn();
    const fields = { code: 'csrf-test', title: 'x' };
    expectPage(await admin.post('/subsystems', fields, { csrf: null }), 403);
    expectPage(await admin.post('/subsystems', fields, { csrf: other.csrf }), 403);
    expectPage(await admin.post('/subsystems', fields, { headers: { origin: 'https://evil.example' } }), 403);
    expectPage(await admin.post('/subsystems', fields, { headers: { 'sec-fetch-site': 'cross-site' } }), 403);
    const refused = await admin.post('/subsystems', fields, { csrf: null });
    expect(refused.body).toContain('別のサイトから送信されました');
    expect(adapter.adapter.core.catalog.subsystems().map((s) => s.code)).not.toContain('csrf-test');
    // With the token it is saved (post/redirect/get).
    const saved = await admin.post('/subsystems', fields);
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe('/subsystems/csrf-test?done=saved&name=csrf-test');
    expect((await admin.get(saved.headers.location as string)).body).toContain('サブシステムコード csrf-test を保存しました。');
  });

  it('pages are not in the admin API’s OpenAPI document', async () => {
    const paths = Object.keys((await app.inject({ url: '/openapi.json' })).json().paths);
    expect(paths).toContain('/api/v1/connections');
    expect(paths.filter((p) => !p.startsWith('/api/') && !['/healthz', '/readyz'].includes(p))).toEqual([]);
  });

  it('pages carry the CSP and the other security headers; unknown records are 404 pages', async () => {
    const admin = await signedIn();
    for (const url of ['/', '/connections', '/subsystems', '/consents', '/id-conversions']) expectPage(await admin.get(url), 200);
    const missing = await admin.get('/connections/no-such-connection');
    expectPage(missing, 404, '接続が見つかりません。');
    expect(missing.headers['x-frame-options']).toBe('DENY');
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  it('renders in English with ?lang=en (and remembers it)', async () => {
    const signIn = await app.inject({ url: '/sign-in?lang=en' });
    expect(signIn.body).toContain('<html lang="en">');
    expect(signIn.body).toContain('Admin API key');
    const admin = await signedIn();
    const en = await admin.get('/connections?lang=en');
    expect(en.body).toContain('<h1>Connections</h1>');
    expect(en.body).toContain('Add connection');
    expect(en.body).not.toContain('接続を追加');
    const lang = cookieOf(en, 'lang')!;
    expect(lang.value).toBe('en');
    const remembered = await app.inject({ url: '/subsystems', headers: { cookie: `${admin.cookie}; lang=en` } });
    expect(remembered.body).toContain('<h1>Sub System Codes</h1>');
    const ja = await admin.get('/subsystems');
    expect(ja.body).toContain('<html lang="ja">');
    expect(ja.body).toContain('<h1>サブシステムコード</h1>');
  });
});

describe('pages over a real database', () => {
  it('escapes table and column names from the database', async () => {
    const admin = await signedIn();
    const detail = await admin.get(`/connections/${sample.connection.name}`);
    expectPage(detail, 200);
    expect(detail.body).not.toContain(XSS_TABLE);
    expect(detail.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const tableUrl = `/connections/${sample.connection.name}/tables/${sample.schema}/${encodeURIComponent(XSS_TABLE)}`;
    expect(detail.body).toContain(`href="${tableUrl}"`);
    const columns = await admin.get(tableUrl);
    expectPage(columns, 200);
    expect(columns.body).not.toContain(XSS_COLUMN);
    expect(columns.body).not.toContain(XSS_TABLE);
    expect(columns.body).toContain('&lt;img src=x onerror=alert(2)&gt;');
    // The service form: the name is also a checkbox value (an attribute).
    await admin.post('/subsystems', { code: 'xss', title: 'x' });
    const form = await admin.get(`/subsystems/xss/services/new?connection=${sample.connection.name}&table=${encodeURIComponent(`${sample.schema}.${XSS_TABLE}`)}`);
    expectPage(form, 200);
    expect(form.body).not.toContain(XSS_COLUMN);
    expect(form.body).toContain('value="&lt;img src=x onerror=alert(2)&gt;"');
  });

  it('connection form: the zod problems are shown at their fields, a draft is tested before saving, a taken name is a field error', async () => {
    const admin = await signedIn();
    const c = sample.connection;
    const invalid = await admin.post('/connections/new', { action: 'save', name: 'Bad Name', dialect: 'postgres', host: 'db host', port: '99999', database: '', username: 'u', poolMax: '10', statementTimeoutMs: '5000', tls: 'disable' });
    expectPage(invalid, 400, '英小文字・数字・「-」で、英字から始めてください');
    expect(invalid.body).toContain('ホスト名または IP アドレスを入力してください。');
    expect(invalid.body).toContain('65535 以下の値を入力してください。');
    expect(invalid.body).toMatch(/id="field-database-error">入力してください。/);
    expect(invalid.body).toContain('value="Bad Name"'); // what was typed stays

    const fields = { name: 'draft', dialect: 'postgres', host: c.host, port: String(c.port), database: c.database, username: c.username, password: c.password ?? '', tls: 'disable', poolMax: '2', statementTimeoutMs: '5000' };
    const tested = await admin.post('/connections/new', { ...fields, action: 'test' });
    expectPage(tested, 200);
    expect(tested.body).toMatch(/class="flash flash-success"[^>]*>接続できました：PostgreSQL \d+/);
    expect(adapter.adapter.core.catalog.connections().map((x) => x.name)).not.toContain('draft');
    const failed = await admin.post('/connections/new', { ...fields, database: 'no_such_database_here', action: 'test' });
    expect(failed.body).toContain('接続できませんでした：');

    const taken = await admin.post('/connections/new', { ...fields, name: c.name, action: 'save' });
    expectPage(taken, 409);
    expect(taken.body).toMatch(/id="field-name-error">この名前の接続はすでにあります。/);
  });

  it('data service form: columns come from the table; definition problems and core refusals are shown on the form', async () => {
    const admin = await signedIn();
    await admin.post('/subsystems', { code: 'forms', title: 'フォーム' });
    const url = `/subsystems/forms/services/new?connection=${sample.connection.name}&table=${sample.schema}.residents`;
    const base = { connection: sample.connection.name, table: `${sample.schema}.residents`, name: 'people', title: '住民', kind: 'list', key: 'id', maxRows: '100', timeoutMs: '' };

    const noColumns = await admin.post(url, base);
    expectPage(noColumns, 400, '公開する列を 1 つ以上選んでください。');

    // The key column must be listed: the core's check names the problem.
    const problems = await admin.post(url, { ...base, include: ['name', 'city'] });
    expectPage(problems, 422, 'データサービスの定義がデータベースと合いません。');
    expect(problems.body).toContain('key column &quot;id&quot; must be one of the listed columns');
    expect(problems.body).toContain('name="include" value="name" checked'); // ticks stay
    expect(problems.body).not.toContain('name="include" value="id" checked');

    const saved = await admin.post(url, { ...base, include: ['id', 'name', 'city', 'email'], filterable: ['city'], sortable: ['id'] });
    expect(saved.statusCode, saved.body.slice(0, 300)).toBe(303);
    expect(saved.headers.location).toBe('/subsystems/forms/services/people?done=saved&name=people');
    const def = adapter.adapter.core.catalog.service('forms', 'people').def;
    expect(def.columns).toEqual([
      { name: 'id', type: 'integer', filterable: false, sortable: true, writable: false },
      { name: 'name', type: 'string', filterable: false, sortable: false, writable: false },
      { name: 'email', type: 'string', filterable: false, sortable: false, writable: false },
      { name: 'city', type: 'string', filterable: true, sortable: false, writable: false },
    ]);
    const again = await admin.post(url, { ...base, include: ['id'] });
    expectPage(again, 409);
    expect(again.body).toMatch(/id="field-name-error">このサブシステムコードに同じ名前のデータサービスがあります。/);

    // A preview with a filter the service does not allow: the refusal is on the page.
    const refused = await admin.post('/subsystems/forms/services/people/preview', { query: 'name=eq.x' });
    expectPage(refused, 400, '絞り込み・並べ替え・select・limit・offset の指定が、このデータサービスでは使えません。');
    const preview = await admin.post('/subsystems/forms/services/people/preview', { query: 'city=eq.osaka' });
    expectPage(preview, 200, '佐藤 太郎');
    expect(preview.body).not.toContain('山田 花子');
  });

  it('a named query with parameters; undeclared placeholders are reported', async () => {
    const admin = await signedIn();
    await admin.post('/subsystems', { code: 'queries', title: 'クエリ' });
    const url = `/subsystems/queries/services/new?connection=${sample.connection.name}&table=`;
    const step = await admin.get(url);
    expectPage(step, 200);
    expect(step.body).toContain('name="param.2.name"'); // three blank parameter rows
    const base = { connection: sample.connection.name, table: '', name: 'by-city', title: '市区町村別', kind: 'query', maxRows: '10', readOnly: 'on', 'param.0.type': 'string', 'param.1.type': 'string', 'param.2.type': 'string' };
    const sql = `select name from ${sample.schema}.residents where city = :city and birth_year > :year order by id`;
    const undeclared = await admin.post(url, { ...base, sql, 'param.0.name': 'city', 'param.0.required': 'on' });
    expectPage(undeclared, 422, ':year is not a declared parameter');
    expect(undeclared.body).toContain('value="city"');
    const saved = await admin.post(url, { ...base, sql, 'param.0.name': 'city', 'param.0.required': 'on', 'param.1.name': 'year', 'param.1.type': 'integer', 'param.1.required': 'on' });
    expect(saved.statusCode, saved.body.slice(0, 300)).toBe(303);
    const preview = await admin.post('/subsystems/queries/services/by-city/preview', { query: 'city=tokyo&year=1900' });
    expectPage(preview, 200, '山田 花子');
    expect(preview.body).toContain('O&#39;Brien; DROP TABLE residents; --');
  });

  it('publishing without a Security Server, deleting what is in use: the refusal is a flash on the page', async () => {
    const admin = await signedIn();
    const publish = await admin.post('/subsystems/forms/publish', { provider: 'JP-TEST/COM/2222222222222/healthcare' });
    expectPage(publish, 409, 'セキュリティサーバーが設定されていません');
    const badProvider = await admin.post('/subsystems/forms/publish', { provider: 'not a subsystem' });
    expectPage(badProvider, 400, '「インスタンス/クラス/メンバーコード/サブシステム」の形で入力してください。');
    const inUse = await admin.post(`/connections/${sample.connection.name}/delete`);
    expectPage(inUse, 409, 'データサービスがこの接続を使っています。');
    const notEmpty = await admin.post('/subsystems/forms/delete');
    expectPage(notEmpty, 409);
    // The OpenAPI download is JSON, as an attachment.
    const openapi = await admin.get('/subsystems/forms/openapi.json');
    expect(openapi.statusCode).toBe(200);
    expect(openapi.headers['content-disposition']).toBe('attachment; filename="forms-openapi.json"');
    expect(openapi.json()).toMatchObject({ openapi: '3.0.3', info: { title: 'フォーム' } });
    // Delete the service, then the code; both audited as the UI.
    expect((await admin.post('/subsystems/forms/services/people/delete')).headers.location).toBe('/subsystems/forms?done=serviceDeleted&name=people');
    expect((await admin.post('/subsystems/forms/delete')).headers.location).toBe('/subsystems?done=deleted&name=forms');
    const events = (await adapter.admin('GET', '/api/v1/audit-events?action=subsystem.deleted')).body as Array<{ actor: string; target: string }>;
    expect(events[0]).toMatchObject({ actor: 'admin:ui', target: 'forms' });
  });
});
