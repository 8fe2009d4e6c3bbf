/**
 * The `html` tagged template: every interpolated value is escaped unless it is
 * already `SafeHtml`, so a page is safe by construction and trusted markup has
 * to be asked for by name (`raw`).
 */

const BRAND = Symbol.for('jplink.ui.SafeHtml');

/** Markup that is already escaped (or trusted). Only `html`, `raw` and `attrs` make one. */
export type SafeHtml = { readonly [BRAND]: true; readonly html: string; toString(): string };

/** What may be interpolated: text (escaped), SafeHtml, lists of them; null/undefined/false render nothing. */
export type HtmlValue = SafeHtml | string | number | bigint | null | undefined | false | readonly HtmlValue[];

function safe(markup: string): SafeHtml {
  return Object.freeze({ [BRAND]: true as const, html: markup, toString: () => markup });
}

export function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
const ESCAPE_RE = /[&<>"'`]/g;

/** Escape text for HTML text and quoted attribute values (& < > " ' and backtick). */
export function escapeHtml(text: string): string {
  return text.replace(ESCAPE_RE, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (isSafeHtml(value)) return value.html;
  if (Array.isArray(value)) return value.map(render).join('');
  // `true`, plain objects, functions: almost always a bug (`[object Object]` on a page).
  throw new TypeError(`html: cannot render a value of type ${(value as unknown) === true ? 'true' : typeof value}`);
}

// `<a href=${x}>`: escaping cannot protect an unquoted attribute (a space starts a new one).
// Inside a tag (after a `<` not yet closed by `>`), a part ending in `=` is such an attribute.
const UNQUOTED_ATTRIBUTE_RE = /=\s*$/;
const checkedTemplates = new WeakSet<TemplateStringsArray>();

function checkTemplate(strings: TemplateStringsArray): void {
  if (checkedTemplates.has(strings)) return;
  let inTag = false;
  for (let i = 0; i < strings.length - 1; i++) {
    const part = strings[i]!;
    const open = part.lastIndexOf('<');
    const close = part.lastIndexOf('>');
    if (open !== close) inTag = open > close;
    if (inTag && UNQUOTED_ATTRIBUTE_RE.test(part)) {
      throw new SyntaxError(`html: quote attribute values (…${part.slice(-30)}\${…}); unquoted ones cannot be escaped safely`);
    }
  }
  checkedTemplates.add(strings);
}

/** html`<p>${userText}</p>` → SafeHtml with `userText` escaped. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  checkTemplate(strings);
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return safe(out);
}

/** Trusted markup, inserted as is. Never pass anything that came from a request or a database. */
export function raw(markup: string): SafeHtml {
  return safe(markup);
}

/** Join rendered values (e.g. a list of rows) into one SafeHtml. */
export function join(values: readonly HtmlValue[], separator: HtmlValue = ''): SafeHtml {
  const sep = render(separator);
  return safe(values.map(render).filter((s) => s.length > 0).join(sep));
}

export type AttrValue = string | number | boolean | null | undefined;

const ATTR_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:.-]*$/;

/**
 * ` name="value"` pairs, each escaped: `true` → the bare attribute (`required`),
 * `false`/null/undefined → omitted. Names are checked, since they cannot be escaped.
 *   html`<input${attrs({ name, value, required, disabled: false })}>`
 */
export function attrs(map: Readonly<Record<string, AttrValue>>): SafeHtml {
  let out = '';
  for (const [name, value] of Object.entries(map)) {
    if (!ATTR_NAME_RE.test(name)) throw new SyntaxError(`attrs: invalid attribute name ${JSON.stringify(name)}`);
    if (value === false || value === null || value === undefined) continue;
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  return safe(out);
}

const SAFE_URL_RE = /^(?:https?:|mailto:|tel:|[^a-z]|[a-z0-9+.-]*(?:[/?#]|$))/i;

/**
 * A URL safe to put in `href`/`src`: relative URLs and http(s)/mailto/tel pass,
 * anything else (`javascript:`, `data:`, `vbscript:` …) becomes `#`. Escaping
 * alone does not stop a `javascript:` link.
 */
export function safeUrl(url: string): string {
  // Browsers drop tabs/newlines and leading control characters before reading the scheme.
  const probe = url.replace(/[\u0000-\u0020\u007f]/g, '');
  return SAFE_URL_RE.test(probe) ? url : '#';
}
