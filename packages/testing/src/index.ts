export { openssl, tempDir, type OpenSslResult, type TempDir } from './openssl.ts';
export { freePort } from './net.ts';
export { serveHttp, type TestHttpServer } from './http-server.ts';
export { http, type HttpOptions, type HttpResult } from './http.ts';
export { CHROMIUM_PATH, launchBrowser, newDesktopPage, newPhonePage, type Browser, type Page } from './browser.ts';
