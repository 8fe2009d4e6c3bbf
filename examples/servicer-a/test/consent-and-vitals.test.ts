// Servicer A end to end on a real network: a resident signs in with Personal-Link (dev upstream),
// gets A's member number S-000001, A's ID完了通知 and ID連携完了通知 are recorded in Personal-Link;
// A asks for consent to B's vitals, the resident approves in Personal-Link and comes back to
// /consents/done; A then shows B's vitals fetched through A's and B's Security Servers (a real
// Center, B's Adapter Server and B's vitals data service) — and after the resident withdraws,
// A's next fetch shows the clear Japanese refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms } from '@jplink/personal-link/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient } from '@jplink/security-server/testing';
import { deliverReflection, giveConsent, linkB, plApi, signIn, startShopStack, submit, type ShopStack } from './helpers.ts';

let stack: ShopStack;
beforeAll(async () => {
  stack = await startShopStack({ network: true });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const consentRows = () => stack.database.db.selectFrom('consent_requests').selectAll().execute();
/** The exchanges A's Security Server logged as the client of B's vitals. */
const vitalsExchanges = () =>
  stack.net!.consumer.ss.database.db.selectFrom('log_records').select(['side', 'client', 'service']).where('service', '=', `${PROVIDER_SUBSYSTEM}/vitals`).execute();

describe('servicer A with Personal-Link and servicer B', () => {
  const browser = new HttpBrowser();
  let consentId: string;

  it('signs a resident in: member number S-000001, ID conversion row, both notices recorded in Personal-Link', async () => {
    const top = await new HttpBrowser().request(`${stack.appUrl}/`);
    expect(top.status).toBe(200);
    expect(top.text).toContain('<html lang="ja">');
    expect(top.text).toContain('Personal-Link でサインイン');
    expect((await new HttpBrowser().request(`${stack.appUrl}/?lang=en`)).text).toContain('Sign in with Personal-Link');
    const start = await new HttpBrowser().request(`${stack.appUrl}/auth/sign-in`);
    expect(start.status).toBe(303);
    expect(start.location!.href.startsWith(`${stack.pl.issuer}/auth`)).toBe(true);
    for (const p of ['state', 'nonce', 'code_challenge']) expect(start.location!.searchParams.get(p)).toBeTruthy();
    expect(start.location!.searchParams.get('code_challenge_method')).toBe('S256');

    const home = await signIn(browser, stack);
    expect(home.url.pathname).toBe('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('こんにちは、山田 花子 さん');
    expect(home.text).toContain('<code data-user-id>S-000001</code>');
    expect(home.text).toContain('連携済み');

    const users = await stack.database.db.selectFrom('users').selectAll().execute();
    expect(users).toEqual([expect.objectContaining({ user_id: 'S-000001', display_name: '山田 花子' })]);
    const [row] = await stack.database.db.selectFrom('id_conversions').selectAll().execute();
    expect(row).toMatchObject({ user_id: 'S-000001', conversion_notified_at: expect.any(Date), linked_at: expect.any(Date) });
    // Personal-Link holds A's ID conversion and the link (BaseID照会 as A).
    const lookup = await plApi(stack.health, 'POST', '/base-ids/lookup', { localUserId: 'S-000001' }, stack.rp);
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ baseId: row!.base_id, localUserId: 'S-000001', linked: true });

    // The next sign-in finds the same member; nothing is sent twice.
    expect((await signIn(new HttpBrowser(), stack)).text).toContain('S-000001');
    expect(await stack.database.db.selectFrom('users').select('user_id').execute()).toEqual([{ user_id: 'S-000001' }]);
  });

  it('asks for consent: the resident approves in Personal-Link, comes back to /consents/done, and A records it as given', async () => {
    await linkB(stack); // the provider must be linked too
    const ask = await browser.request(`${stack.appUrl}/recommendations`);
    expect(ask.status).toBe(200);
    expect(ask.text).toContain('ヘルスケアサービスの記録を使ってよろしいですか');
    expect(ask.text).toContain('測定日、最高血圧、最低血圧、心拍数、歩数');

    const given = await giveConsent(browser, stack);
    consentId = given.consentId;
    expect(given.approvalUrl.href.startsWith(stack.pl.baseUrl)).toBe(true);
    expect(given.decided.status).toBe(200);
    // What Personal-Link reflected to B: A's subsystem, B's Sub System Code, the items A asked for, A's purpose.
    const reflected = (await stack.health.adapter.admin('GET', `/api/v1/consents?baseId=${(await stack.database.db.selectFrom('id_conversions').select('base_id').executeTakeFirstOrThrow()).base_id}`)).body;
    expect(reflected).toEqual([
      expect.objectContaining({ consentId, client: CONSUMER_SUBSYSTEM, subsystemCode: 'vitals', purpose: 'shopping-recommendation', status: 'active', dataItems: ['measured_on', 'systolic', 'diastolic', 'heart_rate', 'steps'] }),
    ]);
    expect(await consentRows()).toEqual([expect.objectContaining({ consent_id: consentId, user_id: 'S-000001', status: 'given' })]);
    // Back at A: the recommendations page with B's vitals.
    expect(given.page.url.pathname).toBe('/recommendations');
  });

  it('shows B’s vitals fetched through A’s and B’s Security Servers, and a recommendation from them', async () => {
    const before = (await vitalsExchanges()).length;
    const page = await browser.request(`${stack.appUrl}/recommendations`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('ヘルスケアサービスから受け取ったあなたの記録');
    expect(page.text).toContain('JP-Link のセキュリティサーバーを通して');
    expect(page.text).not.toContain('data-refusal');
    // Exactly B's rows for this resident (H-000001), the consented items only.
    const own = await stack.health.database.db.selectFrom('vitals').select(['systolic', 'steps']).where('user_id', '=', 'H-000001').execute();
    const body = page.text.slice(page.text.indexOf('<tbody>'), page.text.indexOf('</tbody>'));
    expect(body.match(/<tr>/g)).toHaveLength(own.length);
    for (const r of own) expect(body).toContain(`<td class="num">${r.systolic}</td>`);
    // Newest first, dates short for a phone, step counts with separators.
    const newest = await stack.health.database.db.selectFrom('vitals').select(['measured_on', 'steps']).where('user_id', '=', 'H-000001').orderBy('measured_on', 'desc').executeTakeFirstOrThrow();
    const d = new Date(newest.measured_on as unknown as string);
    expect(body.startsWith(`<tbody><tr><td>${d.getMonth() + 1}/${d.getDate()}</td>`)).toBe(true);
    expect(body).toContain(`<td class="num">${newest.steps.toLocaleString('ja-JP')}</td>`);
    expect(page.text).not.toContain('体温');
    expect(page.text).toMatch(/data-recommendation="rec(Salt|Walk|Pulse|Default)"/);
    // The exchange went through A's Security Server as A's subsystem (and was logged there).
    const logged = await vitalsExchanges();
    expect(logged.length).toBeGreaterThan(before);
    expect(logged.at(-1)).toMatchObject({ client: CONSUMER_SUBSYSTEM, service: `${PROVIDER_SUBSYSTEM}/vitals` });
  });

  it('says so when B’s Security Server no longer grants A’s subsystem (access denied), and shows the vitals again once granted', async () => {
    const ssB = await adminClient(stack.net!.provider);
    const rights = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services/vitals/access-rights`;
    const subject = { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } };
    expect((await ssB('POST', `${rights}/revoke`, subject)).status).toBe(200);
    try {
      const refused = await browser.request(`${stack.appUrl}/recommendations`);
      expect(refused.status).toBe(200);
      expect(refused.text).toContain('data-refusal="access-denied"');
      expect(refused.text).toContain('ヘルスケアサービスが、このサービスへの記録の提供を許可していません。');
      expect(refused.text).not.toContain('<tbody>');
      // Not a consent matter: A keeps the consent as given.
      expect(await consentRows()).toEqual([expect.objectContaining({ consent_id: consentId, status: 'given' })]);
    } finally {
      expect((await ssB('POST', `${rights}/grant`, subject)).status).toBe(200);
    }
    expect((await browser.request(`${stack.appUrl}/recommendations`)).text).toContain('<tbody>');
  });

  it('after the resident withdraws in Personal-Link, A’s next fetch is refused with a clear Japanese message', async () => {
    const detail = await browser.follow(`${stack.pl.baseUrl}/my/consents/${consentId}`);
    const withdrawn = await submit(browser, detail, '/withdraw');
    expect(withdrawn.status).toBe(200);
    const { payload } = await deliverReflection(stack.health, consentId);
    expect(payload).toMatchObject({ status: 'withdrawn' });

    const refused = await browser.request(`${stack.appUrl}/recommendations`);
    expect(refused.status).toBe(200);
    expect(refused.text).toContain('data-refusal="consent-required"');
    expect(refused.text).toContain('健康記録を受け取る同意が取り消されたか、期限が切れています。そのため、記録を表示できません。');
    expect(refused.text).not.toContain('<tbody>');
    // A learned why from Personal-Link and does not ask B again on the next visit; it offers to ask again.
    expect(await consentRows()).toEqual([expect.objectContaining({ consent_id: consentId, status: 'withdrawn' })]);
    const exchanges = (await vitalsExchanges()).length;
    const again = await browser.request(`${stack.appUrl}/recommendations`);
    expect(again.text).toContain('健康記録を受け取る同意が取り消されたか');
    expect(parseForms(again.text).some((f) => f.action === '/consents/request')).toBe(true);
    expect((await vitalsExchanges()).length).toBe(exchanges);
  });
});
