/**
 * @jplink/ui — server-rendered pages for every JP-Link web UI. See docs/ui-kit.md.
 */
export { attrs, escapeHtml, html, isSafeHtml, join, raw, safeUrl, type AttrValue, type HtmlValue, type SafeHtml } from './html.ts';
export {
  DEFAULT_LOCALE,
  defineMessages,
  isLocale,
  LANG_COOKIE,
  localeFromAcceptLanguage,
  LOCALES,
  pickLocale,
  translator,
  type Locale,
  type Messages,
  type Placeholders,
  type Translate,
} from './i18n.ts';
export { uiMessages, type UiMessageKey } from './messages.ts';
export { page, type NavItem, type PageOptions } from './layout.ts';
export {
  button,
  codeBlock,
  definitionList,
  emptyState,
  flashMessage,
  form,
  formField,
  linkButton,
  pagination,
  table,
  type ButtonOptions,
  type Flash,
  type FlashKind,
  type FormFieldOptions,
  type FormOptions,
  type SelectOption,
  type TableOptions,
} from './components.ts';
export { assetUrl } from './assets.ts';
export { CONTENT_SECURITY_POLICY, PAGE_HEADERS, pageHeaders, registerUi, type UiOptions } from './plugin.ts';
export {
  createMemorySessionStore,
  createSessions,
  randomToken,
  type MemorySessionStoreOptions,
  type Session,
  type SessionOptions,
  type SessionRecord,
  type Sessions,
  type SessionStore,
} from './sessions.ts';
export {
  assertSameOrigin,
  createLoginCsrf,
  CSRF_FIELD,
  CSRF_HEADER,
  verifyCsrf,
  type LoginCsrf,
  type LoginCsrfOptions,
} from './csrf.ts';
export { createSignInThrottle, signInThrottleKeys, type SignInThrottle, type SignInThrottleOptions } from './throttle.ts';
export { UI_ERRORS, type UiErrorCode } from './errors.ts';
