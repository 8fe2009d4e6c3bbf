/**
 * Messages and locale choice. Japanese is the first language: every message is
 * written in `ja` first, and `en` must have exactly the same keys and placeholders.
 */
import type { FastifyRequest } from 'fastify';
import { readCookie } from './cookies.ts';

export const LOCALES = ['ja', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'ja';
/** The cookie that remembers a `?lang=` choice. */
export const LANG_COOKIE = 'lang';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** `'{count} 件'` → `'count'`. */
export type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;

export type Messages<J extends Record<string, string>> = { readonly ja: Readonly<J>; readonly en: { readonly [K in keyof J]: string } };

const PLACEHOLDER_RE = /\{([^{}]+)\}/g;

function placeholdersOf(text: string): string {
  return [...new Set([...text.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!))].sort().join(',');
}

/**
 * A message table, Japanese first:
 *   defineMessages({ ja: { greeting: 'こんにちは、{name} さん' }, en: { greeting: 'Hello, {name}' } })
 * A missing or extra `en` key is a type error; a key whose placeholders differ
 * between the languages throws here, at startup.
 */
export function defineMessages<const J extends Record<string, string>>(messages: {
  ja: J;
  en: { [K in keyof J]: string };
}): Messages<J> {
  const problems: string[] = [];
  const jaKeys = Object.keys(messages.ja);
  const enKeys = new Set(Object.keys(messages.en));
  for (const key of jaKeys) {
    const en = (messages.en as Record<string, string>)[key];
    if (en === undefined) problems.push(`${key}: missing in en`);
    else if (placeholdersOf(messages.ja[key]!) !== placeholdersOf(en)) problems.push(`${key}: placeholders differ between ja and en`);
    enKeys.delete(key);
  }
  for (const key of enKeys) problems.push(`${key}: in en but not in ja`);
  if (problems.length > 0) throw new Error(`defineMessages:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze({ ja: Object.freeze({ ...messages.ja }), en: Object.freeze({ ...messages.en }) });
}

type Params<S extends string> = [Placeholders<S>] extends [never] ? [] : [params: Record<Placeholders<S>, string | number>];

/** `t(key, params?)`; the params argument is required exactly when the Japanese text has placeholders. */
export type Translate<J extends Record<string, string>> = <K extends keyof J & string>(key: K, ...params: Params<J[K]>) => string;

/**
 * `translator(messages, locale)('greeting', { name })` → the text with `{name}`
 * filled in. The result is plain text: put it into `html` and everything,
 * the params included, is escaped.
 */
export function translator<J extends Record<string, string>>(messages: Messages<J>, locale: Locale): Translate<J> {
  const table = messages[locale] as Record<string, string>;
  return ((key: string, params?: Record<string, string | number>) => {
    const text = table[key] ?? key;
    if (!params) return text;
    return text.replace(PLACEHOLDER_RE, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
  }) as Translate<J>;
}

/** The best supported language in an Accept-Language header (by q-value, then order), if any. */
export function localeFromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  let best: { locale: Locale; q: number } | undefined;
  for (const part of header.split(',').slice(0, 32)) {
    const [range = '', ...rest] = part.trim().split(';');
    const primary = range.trim().toLowerCase().split('-')[0];
    if (!isLocale(primary)) continue;
    const qParam = rest.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    if (!best || q > best.q) best = { locale: primary, q };
  }
  return best?.locale;
}

/** `?lang=` if it names a supported language. */
export function localeFromQuery(request: FastifyRequest): Locale | undefined {
  const lang = (request.query as Record<string, unknown> | undefined)?.lang;
  return isLocale(lang) ? lang : undefined;
}

/**
 * The page language: `?lang=ja|en`, else the `lang` cookie, else Accept-Language,
 * else Japanese. (`registerUi` stores a `?lang=` choice in the cookie.)
 */
export function pickLocale(request: FastifyRequest): Locale {
  const fromQuery = localeFromQuery(request);
  if (fromQuery) return fromQuery;
  const cookie = readCookie(request, LANG_COOKIE);
  if (isLocale(cookie)) return cookie;
  return localeFromAcceptLanguage(request.headers['accept-language']) ?? DEFAULT_LOCALE;
}
