import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, type App } from '@jplink/kit';
import { createMemorySessionStore, createSessions, registerUi, type SessionStore } from '../src/index.ts';

type Data = { user: string };

/** An app whose routes start, read and end sessions; the clock is ours. */
async function sessionApp(opts: { secure?: boolean; store?: SessionStore<Data> } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const sessions = createSessions<Data>({
    cookieName: 'sid',
    ttlSeconds: 3600,
    idleSeconds: 600,
    secure: opts.secure ?? false,
    now: () => clock.now,
    ...(opts.store ? { store: opts.store } : {}),
  });
  const app = createHttpApp({ name: 'sessions', logger: createLogger({ name: 'sessions', level: 'silent' }) });
  registerUi(app, { secureCookies: opts.secure ?? false });
  app.post('/start', async (request, reply) => {
    const s = await sessions.start(reply, { user: (request.body as { user: string }).user });
    return { csrfToken: s.csrfToken };
  });
  app.get('/me', async (request) => {
    const s = await sessions.read(request);
    return s ? { user: s.data.user, csrfToken: s.csrfToken } : { user: null };
  });
  app.post('/end', async (request, reply) => {
    await sessions.destroy(request, reply);
    return { ok: true };
  });
  await app.ready();
  const start = async (user: string, cookie?: string) => {
    const res = await app.inject({ method: 'POST', url: '/start', payload: `user=${user}`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) } });
    const c = res.cookies.find((x) => x.name === 'sid')!;
    return { cookie: `sid=${c.value}`, set: c, raw: res.headers['set-cookie'], csrfToken: res.json().csrfToken as string };
  };
  const me = async (cookie: string) => (await app.inject({ url: '/me', headers: { cookie } })).json().user as string | null;
  return { app, clock, start, me };
}

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('sessions', () => {
  it('sets an HttpOnly, SameSite=Lax, Path=/ cookie with a 32-byte base64url id, Secure when asked', async () => {
    const plain = await sessionApp();
    app = plain.app;
    const { set } = await plain.start('sato');
    expect(set.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(set.value, 'base64url')).toHaveLength(32);
    expect(set).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(set.secure).toBeUndefined();
    await app.close();

    const secure = await sessionApp({ secure: true });
    app = secure.app;
    expect((await secure.start('sato')).set).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: true });
  });

  it('reads the session back, each with its own CSRF token', async () => {
    const s = await sessionApp();
    app = s.app;
    const a = await s.start('sato');
    const b = await s.start('suzuki');
    expect(await s.me(a.cookie)).toBe('sato');
    expect(await s.me(b.cookie)).toBe('suzuki');
    expect(a.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.csrfToken).not.toBe(b.csrfToken);
  });

  it('start() rotates the id: the id the browser had before no longer works (no fixation)', async () => {
    const s = await sessionApp();
    app = s.app;
    const before = await s.start('sato');
    const after = await s.start('sato', before.cookie);
    expect(after.cookie).not.toBe(before.cookie);
    expect(after.csrfToken).not.toBe(before.csrfToken);
    expect(await s.me(before.cookie)).toBeNull();
    expect(await s.me(after.cookie)).toBe('sato');
  });

  it('an id the server never issued is no session', async () => {
    const s = await sessionApp();
    app = s.app;
    expect(await s.me(`sid=${'A'.repeat(43)}`)).toBeNull();
    expect(await s.me('sid=short')).toBeNull();
  });

  it('ends after ttlSeconds however active it is', async () => {
    const s = await sessionApp();
    app = s.app;
    const { cookie } = await s.start('sato');
    for (let i = 0; i < 11; i++) {
      s.clock.now += 5 * 60_000; // a request every 5 minutes: never idle
      expect(await s.me(cookie)).toBe('sato');
    }
    s.clock.now += 5 * 60_000; // 60 minutes after sign-in
    expect(await s.me(cookie)).toBeNull();
  });

  it('ends after idleSeconds without a request', async () => {
    const s = await sessionApp();
    app = s.app;
    const { cookie } = await s.start('sato');
    s.clock.now += 599_000;
    expect(await s.me(cookie)).toBe('sato');
    s.clock.now += 599_000; // the read above counted as activity
    expect(await s.me(cookie)).toBe('sato');
    s.clock.now += 600_000;
    expect(await s.me(cookie)).toBeNull();
  });

  it('destroy() ends the session and clears the cookie', async () => {
    const s = await sessionApp();
    app = s.app;
    const { cookie } = await s.start('sato');
    const res = await app.inject({ method: 'POST', url: '/end', headers: { cookie } });
    expect(res.cookies.find((c) => c.name === 'sid')).toMatchObject({ value: '', maxAge: 0, httpOnly: true, sameSite: 'Lax' });
    expect(await s.me(cookie)).toBeNull();
  });

  it('stores sessions under a hash of the id, never the id itself', async () => {
    const keys: string[] = [];
    const inner = createMemorySessionStore<Data>();
    const store: SessionStore<Data> = { ...inner, set: (key, record, dropAfter) => (keys.push(key), inner.set(key, record, dropAfter)) };
    const s = await sessionApp({ store });
    app = s.app;
    const { set } = await s.start('sato');
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(set.value);
  });
});

describe('memory session store', () => {
  const record = (at: number) => ({ data: { user: 'x' }, csrfToken: 't', createdAt: at, lastSeenAt: at, expiresAt: at + 1000 });

  it('does not return a record after its drop time, and sweeps expired records on writes', async () => {
    const clock = { now: 0 };
    const store = createMemorySessionStore<Data>({ sweepIntervalSeconds: 10, now: () => clock.now });
    await store.set('a', record(0), 5_000);
    await store.set('b', record(0), 60_000);
    clock.now = 5_000;
    expect(await store.get('a')).toBeUndefined();
    await store.set('c', record(0), 60_000);
    expect(store.size).toBe(2); // 'a' went when it was read
    await store.set('d', record(0), 12_000);
    clock.now = 20_000;
    await store.set('e', record(0), 60_000); // sweep: 'd' is gone without being read
    expect(store.size).toBe(3);
  });

  it('holds at most maxSessions, dropping the oldest sign-ins first', async () => {
    const store = createMemorySessionStore<Data>({ maxSessions: 3, now: () => 0 });
    for (const key of ['a', 'b', 'c', 'd']) await store.set(key, record(0), 1_000);
    expect(store.size).toBe(3);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('d')).toBeDefined();
    await store.set('b', record(0), 2_000); // updating one does not evict another
    expect(store.size).toBe(3);
  });

  it('hands out copies, so a caller cannot change a stored session by accident', async () => {
    const store = createMemorySessionStore<Data>({ now: () => 0 });
    await store.set('a', record(0), 1_000);
    (await store.get('a'))!.data.user = 'mallory';
    expect((await store.get('a'))!.data.user).toBe('x');
  });
});
