// When B's own Adapter Server does not answer: the vitals page still shows the resident's own
// records and says the permissions could not be checked; a sign-in that cannot write the Adapter
// Server's ID conversion row ends on an error page without a session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser } from '@jplink/personal-link/testing';
import { signIn, startStack, type Stack } from './helpers.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe('servicer B without its Adapter Server', () => {
  it('shows own vitals with a notice, and refuses a sign-in it cannot complete', async () => {
    const browser = new HttpBrowser();
    expect((await signIn(browser, stack.appUrl)).status).toBe(200);
    const stop = stack.adapter.stop.bind(stack.adapter);
    await stop();
    stack.adapter.stop = async () => {};

    const page = await browser.request(`${stack.appUrl}/vitals`);
    expect(page.status).toBe(200);
    expect((page.text.match(/<tr><td><a href="\/vitals\/\d+">/g) ?? []).length).toBe(14);
    expect(page.text).toContain('<p role="alert">許可の状況を確認できませんでした。');

    const other = new HttpBrowser();
    const refused = await signIn(other, stack.appUrl, 'taro');
    expect(refused.status).toBe(502);
    expect(refused.text).toContain('HEALTH_ADAPTER_UNAVAILABLE');
    expect((await other.request(`${stack.appUrl}/vitals`)).status).toBe(303);
  });
});
