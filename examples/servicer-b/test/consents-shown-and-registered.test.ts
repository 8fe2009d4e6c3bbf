// A real consent from Personal-Link reaches B: servicer A (another RP) asks for B's vitals, the
// resident approves in Personal-Link, the reflection Personal-Link queued (its outbox payload, sent
// here to B's Adapter Server's data port as Personal-Link's worker would through the Security
// Servers) lands in B's consent table; B's vitals page then lists A with the consented items and
// registers that version back to Personal-Link (許諾情報登録), which records a `registered` event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms } from '@jplink/personal-link/testing';
import { deliverReflection, drivePersonalLink, plApi, signIn, startStack, type Stack } from './helpers.ts';

const A_SUBSYSTEM = 'JP-TEST/COM/1111111111111/shopping';
const RETURN = 'http://127.0.0.1:9/consents/done';

let stack: Stack;
let shop: { clientId: string; clientSecret: string };
beforeAll(async () => {
  // B's Sub System Code must exist at its Adapter Server for a reflection to land (no Security Server here: not published).
  stack = await startStack({ vitals: true });
  shop = await stack.pl.registerRp({ clientId: 'shopping-app', memberSubsystem: A_SUBSYSTEM, displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, redirectUris: ['http://127.0.0.1:9/auth/callback'], grantTypes: ['authorization_code', 'client_credentials'] });
  expect((await stack.pl.admin('PUT', `/api/v1/clients/${shop.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe('a consent for B’s vitals', () => {
  it('is shown on B’s vitals page once reflected, and registered back to Personal-Link once per version', async () => {
    const browser = new HttpBrowser();
    const before = await signIn(browser, stack.appUrl);
    expect(before.text).toContain('許可しているサービスはありません。');
    const baseId = (await stack.database.db.selectFrom('id_conversions').select('base_id').executeTakeFirstOrThrow()).base_id;

    // Servicer A links the same resident, then asks for consent (as A's app would).
    expect((await plApi(stack, 'POST', '/id-conversions', { baseId, localUserId: 'S-000001' }, shop)).status).toBe(200);
    expect((await plApi(stack, 'POST', '/links', { baseId }, shop)).status).toBe(200);
    const requested = await plApi(stack, 'POST', '/consent-requests', {
      baseId,
      provider: stack.rp.clientId,
      subsystemCode: 'vitals',
      dataItems: ['measured_on', 'systolic', 'diastolic', 'steps'],
      purpose: { code: 'shopping-recommendation', description: { ja: '健康に合わせた商品のおすすめ', en: 'Product suggestions for your health' } },
      validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      returnUri: RETURN,
    }, shop);
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const consentId = requested.body.consentId as string;

    // The resident approves in Personal-Link.
    await drivePersonalLink(browser, await browser.follow(requested.body.approvalUrl), 'hanako');
    const approval = await browser.follow(requested.body.approvalUrl);
    const approve = parseForms(approval.text).find((f) => f.action.endsWith('/approve'))!;
    // B described its vitals' items when it set up the data service: the resident reads their names, not column ids.
    expect((await plApi(stack, 'GET', '/data-items/vitals')).body.items).toContainEqual({ id: 'systolic', label: { ja: '最高血圧', en: 'Systolic' } });
    for (const label of ['測定日', '最高血圧', '最低血圧', '歩数']) expect(approval.text).toContain(`>${label}</li>`);
    expect(approval.text).not.toContain('<code>systolic</code>');
    expect((await browser.request(new URL(approve.action, approval.url), { form: approve.fields })).status).toBe(303);

    // The reflection Personal-Link queued for B, delivered to B's Adapter Server as Personal-Link.
    const queued = await deliverReflection(stack, consentId);
    expect(queued.payload).toMatchObject({ baseId, subsystemCode: 'vitals', status: 'active' });

    const after = await browser.request(`${stack.appUrl}/vitals`);
    const sharing = after.text.slice(after.text.indexOf('<div id="sharing">'));
    expect(sharing).toContain(queued.payload.client);
    expect(sharing).toContain('測定日、最高血圧、最低血圧、歩数');
    expect(sharing).toContain('shopping-recommendation');

    const status = await plApi(stack, 'GET', `/consents/${consentId}`);
    expect(status.status).toBe(200);
    const registered = status.body.events.filter((e: { type: string }) => e.type === 'registered');
    expect(registered).toHaveLength(1);
    expect(registered[0].details).toMatchObject({ version: queued.version });
    // Viewing again does not register again.
    await browser.request(`${stack.appUrl}/vitals`);
    expect((await plApi(stack, 'GET', `/consents/${consentId}`)).body.events.filter((e: { type: string }) => e.type === 'registered')).toHaveLength(1);
  });
});
