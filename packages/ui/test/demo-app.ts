// A small signed-in web app built only from the UI kit, the way a service would use it.
import { AppError, createHttpApp, createLogger, type App } from '@jplink/kit';
import {
  button,
  codeBlock,
  createLoginCsrf,
  createSessions,
  createSignInThrottle,
  defineMessages,
  emptyState,
  form,
  formField,
  html,
  page,
  registerUi,
  signInThrottleKeys,
  table,
  translator,
  uiMessages,
  verifyCsrf,
  type Flash,
  type HtmlValue,
  type Locale,
} from '../src/index.ts';

export const USER = { username: 'sato', password: 'correct horse battery staple', name: '佐藤 花子' };

const m = defineMessages({
  ja: {
    appName: 'JP-Link 管理画面',
    dashboard: 'ダッシュボード',
    notes: 'メモ',
    note: 'メモの内容',
    noteHelp: '200 文字まで',
    noteRequired: 'メモを入力してください。',
    saved: '保存しました。',
    noNotes: 'メモはまだありません。',
    servers: 'セキュリティサーバー',
    address: 'アドレス',
    certificate: '証明書のフィンガープリント',
  },
  en: {
    appName: 'JP-Link Admin',
    dashboard: 'Dashboard',
    notes: 'Notes',
    note: 'Note',
    noteHelp: 'Up to 200 characters',
    noteRequired: 'Enter a note.',
    saved: 'Saved.',
    noNotes: 'No notes yet.',
    servers: 'Security Servers',
    address: 'Address',
    certificate: 'Certificate fingerprint',
  },
});

type Data = { username: string; name: string };
type Body = Record<string, string | undefined>;

export function buildDemoApp(opts: { secure?: boolean; maxAttempts?: number } = {}): App {
  const secure = opts.secure ?? false;
  const app = createHttpApp({ name: 'ui-demo', logger: createLogger({ name: 'ui-demo', level: 'silent' }) });
  registerUi(app, { secureCookies: secure });
  const sessions = createSessions<Data>({ cookieName: secure ? '__Host-demo_session' : 'demo_session', ttlSeconds: 3600, idleSeconds: 900, secure });
  const loginCsrf = createLoginCsrf({ secure });
  const throttle = createSignInThrottle({ maxAttempts: opts.maxAttempts ?? 5, windowSeconds: 600, lockSeconds: 900 });
  const notes: string[] = [];

  // Checked before body validation, which would strip the `_csrf` field.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.url !== '/sign-in') verifyCsrf(request, await sessions.read(request));
  });

  type Extra = { signedIn?: { user: Data; csrfToken: string }; flash?: Flash };
  const frame = (locale: Locale, title: string, body: HtmlValue, extra: Extra = {}) => {
    const t = translator(m, locale);
    const who = extra.signedIn;
    const base = { locale, title, appName: t('appName'), body, ...(extra.flash ? { flash: extra.flash } : {}) };
    if (!who) return page({ ...base, nav: [] });
    return page({ ...base, nav: [{ href: '/', label: t('dashboard'), current: true }], user: { name: who.user.name }, csrfToken: who.csrfToken });
  };

  const signInPage = (locale: Locale, csrfToken: string, error?: string, username = '') => {
    const ui = translator(uiMessages, locale);
    return frame(
      locale,
      ui('signIn'),
      form({
        action: '/sign-in',
        csrfToken,
        body: html`${formField({ locale, name: 'username', label: ui('username'), value: username, required: true, autocomplete: 'username' })}
${formField({ locale, name: 'password', type: 'password', label: ui('password'), required: true, autocomplete: 'current-password' })}
<div class="form-actions">${button({ label: ui('signIn') })}</div>`,
      }),
      error ? { flash: { kind: 'error', text: error } } : {},
    );
  };

  app.get('/sign-in', async (request, reply) => reply.sendPage(signInPage(request.locale, loginCsrf.issueLoginCsrf(reply))));

  app.post('/sign-in', async (request, reply) => {
    loginCsrf.verifyLoginCsrf(request);
    const body = request.body as Body;
    const username = body.username ?? '';
    const keys = signInThrottleKeys(request.ip, username);
    const ui = translator(uiMessages, request.locale);
    try {
      throttle.check([keys.ip, keys.user]);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return reply.sendPage(signInPage(request.locale, loginCsrf.issueLoginCsrf(reply), ui('errorSignInThrottled'), username), 429);
    }
    if (username !== USER.username || body.password !== USER.password) {
      throttle.fail([keys.ip, keys.user]);
      return reply.sendPage(signInPage(request.locale, loginCsrf.issueLoginCsrf(reply), ui('errorSignInFailed'), username), 401);
    }
    throttle.succeed(keys.user);
    await sessions.start(reply, { username, name: USER.name });
    return reply.redirect('/', 303);
  });

  app.post('/sign-out', async (request, reply) => {
    await sessions.destroy(request, reply);
    return reply.redirect('/sign-in', 303);
  });

  const dashboard = (locale: Locale, user: Data, csrfToken: string, flash?: Flash, noteError?: string) => {
    const t = translator(m, locale);
    const ui = translator(uiMessages, locale);
    const noteForm = form({
      action: '/notes',
      csrfToken,
      body: html`${formField({ locale, name: 'note', type: 'textarea', label: t('note'), help: t('noteHelp'), required: true, maxlength: 200, error: noteError })}
<div class="form-actions">${button({ label: ui('save') })}</div>`,
    });
    const list = notes.length === 0 ? emptyState({ title: t('noNotes') }) : html`<ul class="notes">${notes.map((n) => html`<li>${n}</li>`)}</ul>`;
    // Long unbreakable cells: the table must scroll inside its box on a phone, not widen the page.
    const servers = table({
      caption: t('servers'),
      columns: [t('address'), t('certificate')],
      rows: [['ss1.example-city.lg.jp:5500', 'SHA-256:3F:2B:7C:1E:8D:4A:4B:6E:9C:1F:2A:3B:4C:5D:6E:7F:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF']],
    });
    return frame(
      locale,
      t('dashboard'),
      html`<h2>${t('notes')}</h2>${list}${noteForm}${servers}${codeBlock({ openapi: '3.0.3', info: { title: 'Example', version: '1' } })}`,
      { signedIn: { user, csrfToken }, ...(flash ? { flash } : {}) },
    );
  };

  app.get('/', async (request, reply) => {
    const session = await sessions.read(request);
    if (!session) return reply.redirect('/sign-in', 303);
    const saved = (request.query as Record<string, unknown>).saved === '1';
    const flash: Flash | undefined = saved ? { kind: 'success', text: translator(m, request.locale)('saved') } : undefined;
    return reply.sendPage(dashboard(request.locale, session.data, session.csrfToken, flash));
  });

  app.post('/notes', async (request, reply) => {
    const session = (await sessions.read(request))!; // verifyCsrf already required one
    const note = ((request.body as Body).note ?? '').trim();
    if (note === '') {
      const t = translator(m, request.locale);
      return reply.sendPage(dashboard(request.locale, session.data, session.csrfToken, undefined, t('noteRequired')), 400);
    }
    notes.push(note.slice(0, 200));
    return reply.redirect('/?saved=1', 303);
  });

  return app;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Signs in through the real form with app.inject: the sign-in page's cookie and token, then the POST. */
export async function injectSignIn(app: App, password = USER.password) {
  const form = await app.inject({ url: '/sign-in' });
  const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const res = await app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { ...FORM, cookie },
    payload: new URLSearchParams({ _csrf: token, username: USER.username, password }).toString(),
  });
  const session = res.cookies.find((c) => c.name === 'demo_session');
  return { res, cookie: session ? `demo_session=${session.value}` : undefined };
}

