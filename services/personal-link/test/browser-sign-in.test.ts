// In Chromium: a resident signs in to a test RP through Personal-Link, choosing a local upstream ID
// → a BaseID is created → back at the RP with a verified ID token. Signing in again (new browser
// profile) with the same upstream account gives the same BaseID. Screenshots go to test/artifacts/
// (git-ignored).
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPhonePage, type Browser } from '@jplink/testing';
import { escapeHtml } from '@jplink/ui';
import { startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';

const artifacts = new URL('./artifacts/', import.meta.url);
let pl: RunningPersonalLink;
let browser: Browser;
let rpServer: Server;
let rpUrl: string;

/** A minimal RP web app: /login starts code + PKCE, /callback shows who signed in. */
async function startTestRp(): Promise<void> {
  rpServer = createServer();
  await new Promise<void>((r) => rpServer.listen(0, '127.0.0.1', r));
  rpUrl = `http://127.0.0.1:${(rpServer.address() as AddressInfo).port}`;
  const rp = await pl.registerRp({ clientId: 'mobility-app', memberSubsystem: 'JP-TEST/COM/1234567890123/mobility', displayName: { ja: 'のりあいタクシー予約', en: 'Shared Taxi Booking' }, redirectUris: [`${rpUrl}/callback`] });
  const config = await client.discovery(new URL(pl.issuer), rp.clientId, undefined, client.ClientSecretBasic(rp.clientSecret), { execute: [client.allowInsecureRequests] });
  const pending = new Map<string, { verifier: string; nonce: string }>();
  rpServer.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url!, rpUrl);
      if (url.pathname === '/login') {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        pending.set(state, { verifier, nonce });
        const auth = client.buildAuthorizationUrl(config, { redirect_uri: `${rpUrl}/callback`, scope: 'openid profile', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
        res.writeHead(302, { location: auth.href }).end();
        return;
      }
      if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? '';
        const p = pending.get(state);
        const tokens = await client.authorizationCodeGrant(config, url, { pkceCodeVerifier: p?.verifier ?? '', expectedState: state, expectedNonce: p?.nonce ?? '', idTokenExpected: true });
        const claims = tokens.claims()!;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
          `<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>RP</title></head><body><h1>ようこそ</h1><p>BaseID: <code id="sub">${escapeHtml(String(claims.sub))}</code></p><p id="iss">${escapeHtml(String(claims.iss))}</p></body></html>`,
        );
        return;
      }
      res.writeHead(404).end();
    })().catch((error: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`RP error: ${error.message}`);
    });
  });
}

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  pl = await startTestPersonalLink();
  await startTestRp();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rpServer?.close();
  await pl?.stop();
});

async function signInWithChromium(shots: boolean): Promise<string> {
  const page = await newPhonePage(browser);
  await page.goto(`${rpUrl}/login`);
  await page.waitForURL(/\/interaction\//);
  await expect.poll(() => page.textContent('h1')).toBe('サインイン');
  expect(await page.textContent('main')).toContain('のりあいタクシー予約 にサインインします');
  if (shots) await page.screenshot({ path: new URL('sign-in-choose-upstream.png', artifacts).pathname, fullPage: true });
  await page.click('button[data-upstream="google"]');
  await page.waitForURL(/\/google\/interaction\//);
  await page.click('button[data-user="hanako"]');
  await page.waitForURL((u) => u.pathname.startsWith('/interaction/') || u.pathname === '/callback');
  if (new URL(page.url()).pathname.startsWith('/interaction/')) {
    expect(await page.textContent('main')).toContain('氏名');
    if (shots) await page.screenshot({ path: new URL('sign-in-consent.png', artifacts).pathname, fullPage: true });
    await page.click('form[action$="/confirm"] button');
  }
  await page.waitForURL(`${rpUrl}/callback**`);
  const sub = (await page.textContent('#sub'))!;
  expect(await page.textContent('#iss')).toBe(pl.issuer);
  if (shots) await page.screenshot({ path: new URL('sign-in-back-at-rp.png', artifacts).pathname, fullPage: true });
  await page.context().close();
  return sub;
}

describe('a resident in Chromium', () => {
  it('signs in to an RP through Personal-Link with a local upstream ID, and gets the same BaseID next time', async () => {
    const first = await signInWithChromium(true);
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const second = await signInWithChromium(false);
    expect(second).toBe(first);
  }, 60_000);
});
