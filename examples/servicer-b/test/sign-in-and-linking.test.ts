// Servicer B signs residents in with a real Personal-Link (code + PKCE through the dev upstream),
// keeps its own user master and ID conversion rows, writes the Adapter Server's ID conversion,
// sends ID完了通知 and ID連携完了通知 — and refuses what it must: a foreign state, forms without
// the CSRF token, another resident's record, pages without a session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms } from '@jplink/personal-link/testing';
import { drivePersonalLink, plApi, signIn, signInUntilCallback, startStack, type Stack } from './helpers.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const users = () => stack.database.db.selectFrom('users').selectAll().orderBy('user_id').execute();
const conversions = () => stack.database.db.selectFrom('id_conversions').selectAll().orderBy('user_id').execute();

describe('servicer B sign-in with Personal-Link', () => {
  it('shows the top page in Japanese with the Personal-Link sign-in button', async () => {
    const top = await new HttpBrowser().request(`${stack.appUrl}/`);
    expect(top.status).toBe(200);
    expect(top.text).toContain('<html lang="ja">');
    expect(top.text).toMatch(/<a href="\/auth\/login" class="button button-primary">Personal-Linkでログイン<\/a>/);
    // Starting a sign-in sends the browser to Personal-Link with code + PKCE (S256), state and nonce.
    const start = await new HttpBrowser().request(`${stack.appUrl}/auth/login`);
    expect(start.status).toBe(303);
    expect(start.location!.href.startsWith(`${stack.pl.issuer}/auth`)).toBe(true);
    for (const p of ['state', 'nonce', 'code_challenge']) expect(start.location!.searchParams.get(p)).toBeTruthy();
    expect(start.location!.searchParams.get('code_challenge_method')).toBe('S256');
    expect(start.location!.searchParams.get('redirect_uri')).toBe(`${stack.appUrl}/auth/callback`);
    const en = await new HttpBrowser().request(`${stack.appUrl}/?lang=en`);
    expect(en.text).toContain('Sign in with Personal-Link');
  });

  it('on first sign-in creates the patient with its own number and sample vitals, writes the ID conversion rows and tells Personal-Link', async () => {
    const browser = new HttpBrowser();
    const page = await signIn(browser, stack.appUrl);
    expect(page.url.pathname).toBe('/vitals');
    expect(page.status).toBe(200);
    expect(page.text).toContain('わたしのバイタル');
    expect(page.text).toContain('山田 花子');

    const [user] = await users();
    expect(user).toMatchObject({ user_id: 'H-000001', display_name: '山田 花子' });
    expect(page.text).toContain('<span id="patient-number">H-000001</span>');
    const vitals = await stack.database.db.selectFrom('vitals').selectAll().where('user_id', '=', 'H-000001').execute();
    expect(vitals).toHaveLength(14);
    const [row] = await conversions();
    expect(row).toMatchObject({ user_id: 'H-000001', conversion_notified_at: expect.any(Date), linked_at: expect.any(Date) });
    const baseId = row!.base_id;
    expect(baseId).toMatch(/^[A-Za-z0-9_-]{22,}$/);

    // The Adapter Server can now map the BaseID to the patient (for its personal data services).
    expect((await stack.adapter.admin('GET', `/api/v1/id-conversions/${baseId}`)).body).toMatchObject({ baseId, localUserId: 'H-000001' });
    // Personal-Link holds B's ID conversion and shows the link (BaseID照会 as B).
    const lookup = await plApi(stack, 'POST', '/base-ids/lookup', { localUserId: 'H-000001' });
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ baseId, localUserId: 'H-000001', linked: true });
    // …and the resident sees B among the linked services.
    // (Personal-Link's resident pages have their own sign-in; then the resident opens "linked services".)
    await drivePersonalLink(browser, await browser.follow(`${stack.pl.baseUrl}/my/services`), 'hanako');
    const services = await browser.follow(`${stack.pl.baseUrl}/my/services`);
    expect(services.url.pathname).toBe('/my/services');
    expect(services.status).toBe(200);
    expect(services.text).toContain('すこやか健康手帳');
  });

  it('finds the same patient on the next sign-in and makes a new one for another resident', async () => {
    await signIn(new HttpBrowser(), stack.appUrl);
    const taro = await signIn(new HttpBrowser(), stack.appUrl, 'taro');
    expect(taro.text).toContain('H-000002');
    expect((await users()).map((u) => u.user_id)).toEqual(['H-000001', 'H-000002']);
    expect((await conversions()).map((c) => c.user_id)).toEqual(['H-000001', 'H-000002']);
    expect(new Set((await conversions()).map((c) => c.base_id)).size).toBe(2);
  });

  it('shows a resident only their own records: another patient’s record id is not found', async () => {
    const hanako = new HttpBrowser();
    await signIn(hanako, stack.appUrl);
    const taro = new HttpBrowser();
    await signIn(taro, stack.appUrl, 'taro');
    const theirs = await stack.database.db.selectFrom('vitals').select('id').where('user_id', '=', 'H-000001').executeTakeFirstOrThrow();
    const own = await hanako.request(`${stack.appUrl}/vitals/${theirs.id}`);
    expect(own.status).toBe(200);
    expect(own.text).toContain('最高血圧');
    const foreign = await taro.request(`${stack.appUrl}/vitals/${theirs.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.text).toContain('お探しの記録は見つかりませんでした');
    expect((await taro.request(`${stack.appUrl}/vitals/not-a-number`)).status).toBe(404);
  });

  it('sends a visitor without a session to the top page', async () => {
    for (const path of ['/vitals', '/vitals/1']) {
      const answer = await new HttpBrowser().request(`${stack.appUrl}${path}`);
      expect(answer.status).toBe(303);
      expect(answer.location?.pathname).toBe('/');
    }
  });

  it('refuses a callback whose state is not the one it started (and a callback without any sign-in started)', async () => {
    const browser = new HttpBrowser();
    const callback = await signInUntilCallback(browser, stack.appUrl, 'hanako');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'someone-elses-state');
    const refused = await browser.request(forged);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('HEALTH_AUTH_STATE_INVALID');
    // The pending sign-in is gone: the genuine callback no longer works either.
    expect((await browser.request(callback)).status).toBe(400);
    expect((await browser.request(`${stack.appUrl}/vitals`)).status).toBe(303);
    // A code delivered to a browser that never started a sign-in here.
    const stranger = await new HttpBrowser().request(callback);
    expect(stranger.status).toBe(400);
  });

  it('refuses a replayed authorization code (PKCE verifier and code are single-use)', async () => {
    const browser = new HttpBrowser();
    const callback = await signInUntilCallback(browser, stack.appUrl);
    expect((await browser.follow(callback)).url.pathname).toBe('/vitals');
    // Another sign-in started in the same browser, but the old code is replayed with the new state.
    const again = new HttpBrowser();
    const second = await signInUntilCallback(again, stack.appUrl);
    const replay = new URL(callback);
    replay.searchParams.set('state', second.searchParams.get('state')!);
    const refused = await again.request(replay);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('HEALTH_AUTH_FAILED');
  });

  it('refuses forms without the CSRF token or from another origin', async () => {
    // Signed in: sign-out without the session's token, and with it from another origin.
    const browser = new HttpBrowser();
    const page = await signIn(browser, stack.appUrl);
    const signOut = parseForms(page.text).find((f) => f.action === '/auth/logout')!;
    expect((await browser.request(`${stack.appUrl}/auth/logout`, { form: { _csrf: 'wrong' } })).status).toBe(403);
    expect((await browser.request(`${stack.appUrl}/auth/logout`, { form: signOut.fields, headers: { origin: 'http://evil.example' } })).status).toBe(403);
    // Still signed in after the refusals.
    expect((await browser.request(`${stack.appUrl}/vitals`)).status).toBe(200);
  });

  it('signs out with RP-initiated logout: the session ends here and at Personal-Link', async () => {
    const browser = new HttpBrowser();
    const page = await signIn(browser, stack.appUrl);
    const signOut = parseForms(page.text).find((f) => f.action === '/auth/logout')!;
    const answer = await browser.request(`${stack.appUrl}/auth/logout`, { form: signOut.fields });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('ログアウトしました');
    expect((await browser.request(`${stack.appUrl}/vitals`)).status).toBe(303);
    // The link to Personal-Link's end-session endpoint, with the ID token and where to come back.
    const end = new URL(/href="([^"]*\/session\/end[^"]*)"/.exec(answer.text)![1]!.replaceAll('&amp;', '&'));
    expect(end.href.startsWith(`${stack.pl.issuer}/session/end`)).toBe(true);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.appUrl}/`);
    expect(end.searchParams.get('id_token_hint')).toBeTruthy();
    // Personal-Link accepts it (its confirmation page, then back to B's top page).
    const confirm = await browser.follow(end);
    expect(confirm.status).toBe(200);
    const logoutForm = parseForms(confirm.text).find((f) => f.action.includes('/session/end/confirm'));
    const back = await browser.follow(new URL(logoutForm!.action, confirm.url), { form: { ...logoutForm!.fields, logout: 'yes' } }, (u) => u.origin === new URL(stack.appUrl).origin);
    expect(back.url.href).toBe(`${stack.appUrl}/`);
  });
  it('when Personal-Link refuses the notices, shows an error page without a session, and the next sign-in repairs the link', async () => {
    const grant = (scopes: string[]) => stack.pl.admin('PUT', `/api/v1/clients/${stack.rp.clientId}/api-access`, { scopes, consentReturnUris: [] });
    expect((await grant([])).status).toBe(200);
    const browser = new HttpBrowser();
    try {
      // The same person with another upstream ID: a new BaseID, so a new patient at B.
      const refused = await signIn(browser, stack.appUrl, 'hanako', 'd-account');
      expect(refused.status).toBe(502);
      expect(refused.text).toContain('HEALTH_PL_UNAVAILABLE');
      expect((await browser.request(`${stack.appUrl}/vitals`)).status).toBe(303);
    } finally {
      expect((await grant(['pl:ids', 'pl:consents'])).status).toBe(200);
    }
    const newcomer = (await users()).find((u) => !['H-000001', 'H-000002'].includes(u.user_id))!;
    expect((await conversions()).find((c) => c.user_id === newcomer.user_id)).toMatchObject({ conversion_notified_at: null, linked_at: null });
    const page = await signIn(browser, stack.appUrl, 'hanako', 'd-account');
    expect(page.url.pathname).toBe('/vitals');
    expect(page.text).toContain(newcomer.user_id);
    expect((await conversions()).find((c) => c.user_id === newcomer.user_id)).toMatchObject({ conversion_notified_at: expect.any(Date), linked_at: expect.any(Date) });
  });
});
