// What servicer A refuses, and how it tells the resident: a callback with a foreign state or a
// replayed code, forms without the CSRF token or from another origin, pages without a session, a
// consent request while B is not linked (409), a declined consent, A's own Security Server down;
// and the sign-out that ends with a link to Personal-Link's end-session endpoint. A real
// Personal-Link and servicer B; no Security Servers (A's is "down").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms } from '@jplink/personal-link/testing';
import { drivePersonalLink, giveConsent, linkB, signIn, signInUntilCallbackAtA, startShopStack, submit, type ShopStack } from './helpers.ts';

let stack: ShopStack;
beforeAll(async () => {
  stack = await startShopStack();
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const consentRows = () => stack.database.db.selectFrom('consent_requests').selectAll().execute();

describe('servicer A refuses', () => {
  it('a callback whose state is not the one it started, and one without any sign-in started', async () => {
    const browser = new HttpBrowser();
    const callback = await signInUntilCallbackAtA(browser, stack);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'someone-elses-state');
    const refused = await browser.request(forged);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('SHOP_AUTH_STATE_INVALID');
    expect(refused.text).toContain('このサインインは、ここで始めたものと確認できませんでした。');
    // The pending sign-in is gone: the genuine callback no longer works either, and no session.
    expect((await browser.request(callback)).status).toBe(400);
    expect((await browser.request(`${stack.appUrl}/recommendations`)).status).toBe(303);
    expect((await new HttpBrowser().request(callback)).status).toBe(400);
  });

  it('a replayed authorization code', async () => {
    const browser = new HttpBrowser();
    const callback = await signInUntilCallbackAtA(browser, stack);
    expect((await browser.follow(callback)).url.pathname).toBe('/');
    const again = new HttpBrowser();
    const second = await signInUntilCallbackAtA(again, stack);
    const replay = new URL(callback);
    replay.searchParams.set('state', second.searchParams.get('state')!);
    const refused = await again.request(replay);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('SHOP_AUTH_FAILED');
  });

  it('pages and forms without a session', async () => {
    for (const path of ['/recommendations', '/consents/done']) {
      const answer = await new HttpBrowser().request(`${stack.appUrl}${path}`);
      expect(answer.status).toBe(303);
      expect(answer.location?.pathname).toBe('/');
    }
    const anonymous = await new HttpBrowser().request(`${stack.appUrl}/consents/request`, { form: { _csrf: 'x' } });
    expect(anonymous.status).toBe(403);
    expect(await consentRows()).toEqual([]);
  });

  it('forms without the CSRF token or from another origin', async () => {
    const browser = new HttpBrowser();
    await signIn(browser, stack);
    const page = await browser.request(`${stack.appUrl}/recommendations`);
    const ask = parseForms(page.text).find((f) => f.action === '/consents/request')!;
    expect((await browser.request(`${stack.appUrl}/consents/request`, { form: { _csrf: 'wrong' } })).status).toBe(403);
    expect((await browser.request(`${stack.appUrl}/consents/request`, { form: {} })).status).toBe(403);
    expect((await browser.request(`${stack.appUrl}/consents/request`, { form: ask.fields, headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await browser.request(`${stack.appUrl}/sign-out`, { form: { _csrf: 'wrong' } })).status).toBe(403);
    expect(await consentRows()).toEqual([]);
    // Still signed in after the refusals.
    expect((await browser.request(`${stack.appUrl}/recommendations`)).status).toBe(200);
  });

  it('a consent request while the resident has not linked B: 409 with a way to B', async () => {
    const browser = new HttpBrowser();
    await signIn(browser, stack, 'taro');
    const page = await browser.request(`${stack.appUrl}/recommendations`);
    const answer = await submit(browser, page, '/consents/request');
    expect(answer.status).toBe(409);
    expect(answer.text).toContain('まだヘルスケアサービスと Personal-Link を連携していません。');
    expect(answer.text).toContain(`href="${stack.health.appUrl}"`);
    expect(answer.text).toContain('SHOP_CONSENT_NOT_LINKED');
    expect(await consentRows()).toEqual([]);
  });

  it('nothing when Personal-Link refuses its API: the member waits for the notices (sent again at the next sign-in), a consent request is 502', async () => {
    const grant = (scopes: string[]) => stack.pl.admin('PUT', `/api/v1/clients/${stack.rp.clientId}/api-access`, { scopes, consentReturnUris: [`${stack.appUrl}/consents/done`] });
    const conversions = () => stack.database.db.selectFrom('id_conversions').selectAll().execute();
    const known = new Set((await conversions()).map((c) => c.user_id));
    expect((await grant([])).status).toBe(200);
    const browser = new HttpBrowser();
    try {
      // Another upstream ID: a new BaseID, so a new member at A.
      const home = await signIn(browser, stack, 'taro', 'd-account');
      expect(home.status).toBe(200);
      expect(home.text).toContain('連携の手続き中です');
      const page = await browser.request(`${stack.appUrl}/recommendations`);
      const refused = await submit(browser, page, '/consents/request');
      expect(refused.status).toBe(502);
      expect(refused.text).toContain('SHOP_PL_UNAVAILABLE');
      expect(refused.text).toContain('Personal-Link にいま接続できません。');
    } finally {
      expect((await grant(['pl:ids', 'pl:consents'])).status).toBe(200);
    }
    const newcomer = (await conversions()).find((c) => !known.has(c.user_id))!;
    expect(newcomer).toMatchObject({ conversion_notified_at: null, linked_at: null });
    const again = await signIn(new HttpBrowser(), stack, 'taro', 'd-account');
    expect(again.text).toContain('連携済み');
    expect((await conversions()).find((c) => c.user_id === newcomer.user_id)).toMatchObject({ conversion_notified_at: expect.any(Date), linked_at: expect.any(Date) });
    expect(await consentRows()).toEqual([]);
  });
});

describe('servicer A tells the resident', () => {
  const browser = new HttpBrowser();

  it('that the consent was declined, and offers to ask again', async () => {
    await signIn(browser, stack);
    await linkB(stack);
    const page = await browser.request(`${stack.appUrl}/recommendations`);
    const toPl = await submit(browser, page, '/consents/request', (u) => u.origin === new URL(stack.pl.baseUrl).origin);
    expect(toPl.stopped).toBe(true);
    // Back at A before deciding: the request is pending, with the way back to Personal-Link.
    const pending = await browser.request(`${stack.appUrl}/recommendations`);
    expect(pending.text).toContain('同意の手続きがまだ終わっていません');
    expect(pending.text).toContain(`href="${toPl.url.href}"`);
    expect(await consentRows()).toEqual([expect.objectContaining({ user_id: 'S-000001', status: 'requested' })]);
    await drivePersonalLink(browser, await browser.follow(toPl.url), 'hanako');
    const decided = await submit(browser, await browser.follow(toPl.url), '/decline');
    const back = /href="([^"]*\/consents\/done)"/.exec(decided.text)![1]!;
    const shown = await browser.follow(back);
    expect(shown.url.pathname).toBe('/recommendations');
    expect(shown.text).toContain('同意されませんでした。健康記録は受け取っていません。');
    expect(parseForms(shown.text).some((f) => f.action === '/consents/request')).toBe(true);
    expect(await consentRows()).toEqual([expect.objectContaining({ user_id: 'S-000001', status: 'declined' })]);
  });

  it('that B cannot be reached when A’s Security Server is down, keeping the consent', async () => {
    const { page, consentId } = await giveConsent(browser, stack);
    expect(page.url.pathname).toBe('/recommendations');
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-refusal="unavailable"');
    expect(page.text).toContain('ヘルスケアサービスにいま接続できません。しばらくしてからもう一度お試しください。');
    expect((await consentRows()).find((r) => r.consent_id === consentId)).toMatchObject({ status: 'given' });
  });

  it('that it signed out, with a link to sign out of Personal-Link too (RP-initiated logout)', async () => {
    const home = await browser.request(`${stack.appUrl}/`);
    const signOut = parseForms(home.text).find((f) => f.action === '/sign-out')!;
    const answer = await browser.request(`${stack.appUrl}/sign-out`, { form: signOut.fields });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('サインアウトしました');
    expect((await browser.request(`${stack.appUrl}/recommendations`)).status).toBe(303);
    const end = new URL(/href="([^"]*\/session\/end[^"]*)"/.exec(answer.text)![1]!.replaceAll('&amp;', '&'));
    expect(end.href.startsWith(`${stack.pl.issuer}/session/end`)).toBe(true);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.appUrl}/`);
    expect(end.searchParams.get('id_token_hint')).toBeTruthy();
    const confirm = await browser.follow(end);
    const logoutForm = parseForms(confirm.text).find((f) => f.action.includes('/session/end/confirm'))!;
    const back = await browser.follow(new URL(logoutForm.action, confirm.url), { form: { ...logoutForm.fields, logout: 'yes' } }, (u) => u.origin === new URL(stack.appUrl).origin);
    expect(back.url.href).toBe(`${stack.appUrl}/`);
  });
});
