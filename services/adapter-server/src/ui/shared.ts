// What the admin UI's pages share: the request context (session, page frame), form-body readers,
// zod issues → field messages, core errors → page text, and URL builders.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { isAppError, type AppError } from '@jplink/kit';
import { translator, type Flash, type HtmlValue, type Locale, type Session, type Translate } from '@jplink/ui';
import type { AdapterServerCore } from '../core.ts';
import type { AdapterErrorCode } from '../errors.ts';
import { ADAPTER_ERRORS } from '../errors.ts';
import { m } from './messages.ts';

/** Who the audit log names for changes made in the UI. */
export const UI_ACTOR = 'admin:ui';

export type AdminSessionData = { signedInAt: string };
export type T = Translate<(typeof m)['ja']>;

export type PageParts = { title: string; body: HtmlValue; flash?: Flash | undefined; status?: number; heading?: HtmlValue | false };

export interface UiContext {
  core: AdapterServerCore;
  /** The request's session (every route but sign-in runs only with one). */
  session(request: FastifyRequest): Session<AdminSessionData>;
  /** Sends a page in the admin frame: navigation, language switch, sign-out. */
  send(request: FastifyRequest, reply: FastifyReply, parts: PageParts): FastifyReply;
}

export const tr = (locale: Locale): T => translator(m, locale);

// ------------------------------------------------------------------------------------ form bodies

export type FormBody = Record<string, string | string[] | undefined>;

export function formBody(request: FastifyRequest): FormBody {
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as FormBody) : {};
}

/** The first value of a field, '' when absent. */
export function text(body: FormBody, name: string): string {
  const v = body[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** Every value of a repeated field (checkbox groups). */
export function values(body: FormBody, name: string): string[] {
  const v = body[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** '' → undefined; anything else a number (NaN for text, which the schema then reports). */
export function optionalNumber(value: string): number | undefined {
  const s = value.trim();
  return s === '' ? undefined : Number(s);
}

// ---------------------------------------------------------------------------- problems → text

type Issue = z.core.$ZodIssue;

/**
 * Field messages from zod issues, keyed by the full path (`parameters.0.name`) and by its first
 * part (`parameters`); the first issue of each wins. `hints` replace format and custom problems of a
 * field; `custom` turns a refinement's message into text.
 */
export function fieldErrors(issues: readonly Issue[], t: T, hints: Record<string, string> = {}, custom?: (issue: Issue) => string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const top = String(issue.path[0] ?? '_');
    const full = issue.path.map(String).join('.') || '_';
    const message = issueText(issue, t, hints[top], custom);
    out[full] ??= message;
    out[top] ??= message;
  }
  return out;
}

function issueText(issue: Issue, t: T, hint: string | undefined, custom?: (issue: Issue) => string | undefined): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? t('fieldRequired') : (hint ?? t('fieldInvalid', { detail: issue.message }));
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') return t('fieldTooSmall', { min: String(issue.minimum) });
      break;
    case 'too_big':
      if (issue.origin === 'string') return t('fieldTooLong', { max: String(issue.maximum) });
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') return t('fieldTooBig', { max: String(issue.maximum) });
      break;
    case 'invalid_type':
      if (issue.expected === 'number' || issue.expected === 'int') return t('fieldNotInteger');
      if (issue.expected === 'string') return t('fieldRequired');
      break;
    case 'invalid_value':
      return t('fieldChoose');
    case 'invalid_format':
      return hint ?? t('fieldInvalid', { detail: issue.message });
    default:
      break;
  }
  return custom?.(issue) ?? hint ?? t('fieldInvalid', { detail: issue.message });
}

const KNOWN_CODES = new Set(Object.keys(ADAPTER_ERRORS));

/** A core refusal as page text: our translation of its code, and its specific reason when it has one. */
export function errorText(error: AppError, t: T): string {
  const base = KNOWN_CODES.has(error.code) ? t(error.code as AdapterErrorCode) : error.publicMessage;
  return error.message !== error.publicMessage ? `${base} (${error.message})` : base;
}

/** `detail.problems` of ADAPTER_DEFINITION_INVALID / ADAPTER_SQL_INVALID. */
export function problemsOf(error: AppError): string[] {
  const problems = (error.detail as { problems?: unknown } | undefined)?.problems;
  return Array.isArray(problems) ? problems.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * Runs a core operation. Its refusals (client errors, and the Adapter Server's own codes such as an
 * unreachable database or Security Server) are returned for the page to show; anything else is thrown.
 */
export async function attempt<R>(work: () => Promise<R>): Promise<{ ok: true; value: R } | { ok: false; error: AppError }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (isAppError(error) && (error.statusCode < 500 || KNOWN_CODES.has(error.code))) return { ok: false, error };
    throw error;
  }
}

// ------------------------------------------------------------------------------------- display

export function formatTime(value: string | Date, locale: Locale): string {
  return new Date(value).toLocaleString(locale === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo', dateStyle: 'medium', timeStyle: 'short' });
}

/** A database value as cell text (NULL as an em dash, objects as JSON). */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// ------------------------------------------------------------------------------------------ URLs

const seg = encodeURIComponent;
export const urls = {
  connection: (name: string) => `/connections/${seg(name)}`,
  table: (connection: string, schema: string, table: string) => `/connections/${seg(connection)}/tables/${seg(schema)}/${seg(table)}`,
  subsystem: (code: string) => `/subsystems/${seg(code)}`,
  newService: (code: string, params: Record<string, string> = {}) => {
    const query = new URLSearchParams(params).toString();
    return `/subsystems/${seg(code)}/services/new${query ? `?${query}` : ''}`;
  },
  service: (code: string, name: string) => `/subsystems/${seg(code)}/services/${seg(name)}`,
};

// Names in `?done=…&name=…` are ours (connection, code, service): no spaces, so a crafted link cannot put a sentence on the page.
const NAME_RE = /^[A-Za-z0-9'()+,\-.=?]{1,255}$/;

/** The success line after a post/redirect/get (`?done=<key>&name=<name>`). */
export function doneFlash(request: FastifyRequest, messages: Record<string, (name: string) => string>): Flash | undefined {
  const q = request.query as Record<string, unknown>;
  const done = typeof q.done === 'string' && Object.hasOwn(messages, q.done) ? messages[q.done] : undefined;
  const name = typeof q.name === 'string' && NAME_RE.test(q.name) ? q.name : undefined;
  return done && name ? { kind: 'success', text: done(name) } : undefined;
}

export function doneUrl(path: string, done: string, name: string): string {
  return `${path}?${new URLSearchParams({ done, name }).toString()}`;
}
