// The admin UI in real Chromium, end to end: an administrator signs in with the admin API key, adds
// a connection to a real PostgreSQL database (testing it first), looks at its tables, creates a Sub
// System Code, defines a list data service by ticking columns, previews it, and publishes it to a
// real provider Security Server (the test network of @jplink/security-server/testing). Then the
// same pages on a 360 px phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newDesktopPage, newPhonePage, type Browser, type Page } from '@jplink/testing';
import { adminClient, CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, startTestNetwork, type TestNetwork } from '@jplink/security-server/testing';
import { adminUi } from '../src/ui/index.ts';
import { createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '../src/testing.ts';

const CODE = 'residents';

let net: TestNetwork;
let sample: SampleTarget;
let adapter: RunningAdapter;
let browser: Browser;
const cspViolations: string[] = [];

beforeAll(async () => {
  [net, sample, browser] = await Promise.all([startTestNetwork(), createPostgresSample(), launchBrowser()]);
  adapter = await startTestAdapter(
    { ADAPTER_SS_ADMIN_URL: net.provider.adminUrl, ADAPTER_SS_ADMIN_KEY_FILE: net.provider.ss.files.adminApiKey, ADAPTER_PROVIDER_SUBSYSTEM: PROVIDER_SUBSYSTEM },
    { registerUi: adminUi() },
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await adapter?.stop();
  await sample?.drop();
  await net?.stop();
});

function watch(page: Page) {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  // Deleting asks first (data-confirm); accept so a test could go on — none is expected here.
  page.on('dialog', (d) => void d.accept());
  return page;
}

async function signIn(page: Page, base: string) {
  await page.goto(`${base}/`);
  expect(new URL(page.url()).pathname).toBe('/sign-in');
  expect(await page.textContent('h1')).toBe('サインイン');
  await page.fill('#field-key', adapter.adminKey);
  await page.click('main form button[type=submit]');
  await page.waitForURL(`${base}/`);
  expect(await page.textContent('h1')).toBe('ダッシュボード');
}

describe('the admin UI in Chromium', () => {
  it('connection → tables → Sub System Code → list data service → preview → publish', { timeout: 120_000 }, async () => {
    const base = adapter.adminUrl;
    const page = watch(await newDesktopPage(browser));
    await signIn(page, base);

    // 接続: add one, testing the typed settings first.
    await page.click('a[href="/connections/new"]');
    await page.waitForURL(`${base}/connections/new`);
    const c = sample.connection;
    await page.fill('#field-name', c.name);
    await page.selectOption('#field-dialect', 'postgres');
    await page.fill('#field-host', c.host);
    await page.fill('#field-port', String(c.port));
    await page.fill('#field-database', c.database);
    await page.fill('#field-username', c.username);
    if (c.password) await page.fill('#field-password', c.password);
    await page.click('button[value=test]');
    await expect.poll(() => page.textContent('.flash-success')).toMatch(/^接続できました：PostgreSQL \d+/);
    expect(await page.inputValue('#field-host')).toBe(c.host); // the form is still filled in
    await page.click('button[value=save]');
    await page.waitForURL(`${base}/connections/${c.name}?done=saved&name=${c.name}`);
    expect(await page.textContent('.flash-success')).toBe(`接続 ${c.name} を保存しました。`);

    // テーブル一覧 → the residents table's columns.
    await page.click(`a[href="/connections/${c.name}/tables/${sample.schema}/residents"]`);
    await page.waitForURL(`**/tables/${sample.schema}/residents`);
    const columnRows = await page.locator('table tbody tr').allTextContents();
    expect(columnRows.find((r) => r.startsWith('birth_year'))).toMatch(/^birth_yearintegerinteger/);
    expect(columnRows.find((r) => r.startsWith('id'))).toContain('はい'); // primary key

    // サブシステムコード
    await page.click('#site-nav a[href="/subsystems"]');
    await page.fill('#field-code', CODE);
    await page.fill('#field-title', '住民情報');
    await page.fill('#field-description', '住民の基本情報');
    await page.click('main form[action="/subsystems"] button[type=submit]');
    await page.waitForURL(`${base}/subsystems/${CODE}?done=saved&name=${CODE}`);
    expect(await page.textContent('h1')).toBe(`サブシステムコード ${CODE}`);

    // データサービス: step 1 (connection, then table), step 2 (tick the columns).
    await page.click(`main a[href="/subsystems/${CODE}/services/new"]`);
    await page.selectOption('#field-connection', c.name);
    await page.click('main form button[type=submit]');
    await page.selectOption('#field-table', `${sample.schema}.residents`);
    await page.click('main form button[type=submit]');
    await expect.poll(() => page.textContent('main h2')).toBe('2. データサービスを定義する');
    await page.fill('#field-name', 'list');
    await page.fill('#field-title', '住民一覧');
    await page.selectOption('#field-kind', 'list');
    expect(await page.inputValue('#field-key')).toBe('id'); // the primary key, preselected
    for (const column of ['id', 'user_id', 'name', 'birth_year', 'city']) await page.check(`input[name=include][value="${column}"]`);
    await page.check('input[name=filterable][value="city"]');
    await page.check('input[name=sortable][value="id"]');
    await page.fill('#field-maxRows', '10');
    await page.click('#service-form button[type=submit]');
    await page.waitForURL(`${base}/subsystems/${CODE}/services/list?done=saved&name=list`);
    expect(await page.textContent('.flash-success')).toBe('データサービス list を保存しました。');
    expect(await page.textContent('main')).toContain(`GET ${adapter.dataUrl}/${CODE}/list`);

    // プレビュー: real rows from PostgreSQL, Japanese names as text.
    await page.fill('#field-query', 'city=eq.tokyo&order=id.asc');
    await page.click('#preview-form button[type=submit]');
    await page.waitForSelector('#preview-result');
    const previewRows = await page.locator('#preview-result tbody tr').allTextContents();
    expect(previewRows).toHaveLength(2);
    expect(previewRows[0]).toContain('山田 花子');
    expect(previewRows[1]).toContain("O'Brien; DROP TABLE residents; --");
    expect(await page.locator('#preview-result th').allTextContents()).toEqual(['id', 'user_id', 'name', 'birth_year', 'city']);

    // 公開: to the provider's real Security Server, granting the consumer.
    await page.goto(`${base}/subsystems/${CODE}`);
    expect(await page.inputValue('#field-provider')).toBe(PROVIDER_SUBSYSTEM);
    expect(await page.textContent('pre.code-block')).toContain('"/list"');
    await page.fill('#field-grantTo', CONSUMER_SUBSYSTEM);
    await page.click('form[action$="/publish#publish"] button[type=submit]');
    await expect.poll(() => page.textContent('.flash-success')).toBe('公開しました：エンドポイント 1 件。');
    expect(await page.textContent('main')).toContain(CONSUMER_SUBSYSTEM);

    const ss = await adminClient(net.provider);
    const services = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;
    const onSs = (await ss('GET', services)).json() as Array<{ serviceCode: string; url: string; endpoints: unknown[] }>;
    expect(onSs.find((s) => s.serviceCode === CODE)).toMatchObject({ url: `${adapter.dataUrl}/${CODE}`, endpoints: [{ method: 'GET', path: '/list' }] });
    expect((await ss('GET', `${services}/${CODE}/access-rights`)).json()).toEqual([expect.objectContaining({ subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } })]);

    // The Security Server's refusal is shown on the page too (a provider subsystem it does not have).
    await page.fill('#field-provider', 'JP-TEST/COM/9999999999999/nobody');
    await page.fill('#field-grantTo', '');
    await page.click('form[action$="/publish#publish"] button[type=submit]');
    await expect.poll(() => page.textContent('.flash-error')).toMatch(/^セキュリティサーバーがサービスの登録を拒否しました。 \(The Security Server refused: /);

    expect(cspViolations).toEqual([]);
    await page.context().close();
  });

  it('fits a 360 px phone: sign-in, lists, the data service and its preview', { timeout: 60_000 }, async () => {
    const base = adapter.adminUrl;
    const page = watch(await newPhonePage(browser));
    const width = () => page.evaluate<number>('document.documentElement.scrollWidth');
    await page.goto(`${base}/sign-in`);
    expect(await width()).toBeLessThanOrEqual(360);
    await signIn(page, base);
    expect(await width()).toBeLessThanOrEqual(360);
    for (const path of ['/connections', '/subsystems', `/connections/${sample.connection.name}`, `/subsystems/${CODE}`, `/subsystems/${CODE}/services/list`, '/consents']) {
      await page.goto(`${base}${path}`);
      expect(await page.locator('h1').count(), path).toBe(1);
      expect(await width(), path).toBeLessThanOrEqual(360);
    }
    await page.goto(`${base}/subsystems/${CODE}/services/list`);
    await page.fill('#field-query', 'order=id.asc');
    await page.click('#preview-form button[type=submit]');
    await page.waitForSelector('#preview-result');
    expect(await width()).toBeLessThanOrEqual(360);
    // The menu folds behind its button.
    expect(await page.isVisible('.nav-toggle')).toBe(true);
    expect(await page.isVisible('#site-nav')).toBe(false);
    await page.click('.nav-toggle');
    expect(await page.isVisible('#site-nav a[href="/connections"]')).toBe(true);
    expect(cspViolations).toEqual([]);
    await page.context().close();
  });
});
