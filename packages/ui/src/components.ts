/**
 * Page parts. Each returns SafeHtml, escapes what it is given, uses only
 * classes from assets/ui.css (the CSP forbids inline styles) and works without JavaScript.
 */
import { CSRF_FIELD } from './csrf.ts';
import { attrs, html, safeUrl, type HtmlValue, type SafeHtml } from './html.ts';
import { translator, type Locale } from './i18n.ts';
import { uiMessages } from './messages.ts';

let nextId = 0;
/** A page-unique id for aria references when the caller gives none. */
function autoId(prefix: string): string {
  nextId = (nextId + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${nextId}`;
}

export type FlashKind = 'info' | 'success' | 'error';
export type Flash = { kind: FlashKind; text: HtmlValue };

/** A status line; errors are announced at once (role=alert), the rest politely (role=status). */
export function flashMessage(flash: Flash): SafeHtml {
  return html`<div class="flash flash-${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${flash.text}</div>`;
}

export type ButtonOptions = {
  label: HtmlValue;
  kind?: 'primary' | 'secondary' | 'danger';
  type?: 'submit' | 'button' | 'reset';
  name?: string;
  value?: string;
  /** Asks before submitting (ui.js); without JavaScript the button just submits. */
  confirm?: string;
  disabled?: boolean;
};

export function button(opts: ButtonOptions): SafeHtml {
  const a = attrs({
    type: opts.type ?? 'submit',
    class: `button button-${opts.kind ?? 'primary'}`,
    name: opts.name,
    value: opts.value,
    'data-confirm': opts.confirm,
    disabled: opts.disabled,
  });
  return html`<button${a}>${opts.label}</button>`;
}

/** A link that looks like a button (for "cancel", "new …"). */
export function linkButton(opts: { href: string; label: HtmlValue; kind?: 'primary' | 'secondary' }): SafeHtml {
  return html`<a${attrs({ href: safeUrl(opts.href), class: `button button-${opts.kind ?? 'secondary'}` })}>${opts.label}</a>`;
}

export type FormOptions = {
  action: string;
  /** The session's (or the sign-in page's) CSRF token; required so that no form is left without one. */
  csrfToken: string;
  body: HtmlValue;
  /** Asks before submitting (ui.js). */
  confirm?: string;
  id?: string;
  class?: string;
  /** Name for assistive technology when the form has no visible heading of its own. */
  label?: string;
};

/** A POST form with the hidden `_csrf` field. */
export function form(opts: FormOptions): SafeHtml {
  const a = attrs({
    method: 'post',
    action: safeUrl(opts.action),
    id: opts.id,
    class: opts.class ?? 'form',
    'data-confirm': opts.confirm,
    'aria-label': opts.label,
  });
  return html`<form${a}><input type="hidden" name="${CSRF_FIELD}" value="${opts.csrfToken}">${opts.body}</form>`;
}

export type SelectOption = { value: string; label: HtmlValue };

export type FormFieldOptions = {
  /** For the "required" marker. */
  locale: Locale;
  name: string;
  label: HtmlValue;
  type?: 'text' | 'email' | 'password' | 'number' | 'url' | 'search' | 'tel' | 'date' | 'textarea' | 'select' | 'checkbox';
  value?: string | number;
  /** For `checkbox`. */
  checked?: boolean;
  /** For `select`. */
  options?: readonly SelectOption[];
  required?: boolean;
  help?: HtmlValue;
  /** This field's error (shown under it, linked with aria-describedby, aria-invalid set). */
  error?: HtmlValue;
  id?: string;
  autocomplete?: string;
  placeholder?: string;
  inputmode?: 'text' | 'numeric' | 'decimal' | 'email' | 'url' | 'tel' | 'search';
  maxlength?: number;
  rows?: number;
  disabled?: boolean;
  readonly?: boolean;
};

/** A labelled input, select, textarea or checkbox with optional help text and error. */
export function formField(opts: FormFieldOptions): SafeHtml {
  const t = translator(uiMessages, opts.locale);
  const id = opts.id ?? `field-${opts.name}`;
  const type = opts.type ?? 'text';
  const helpId = opts.help === undefined ? undefined : `${id}-help`;
  const errorId = opts.error === undefined || opts.error === null || opts.error === false ? undefined : `${id}-error`;
  const describedBy = [helpId, errorId].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: opts.name,
    required: opts.required,
    disabled: opts.disabled,
    readonly: opts.readonly,
    'aria-invalid': errorId ? 'true' : undefined,
    'aria-describedby': describedBy,
  };
  const marker = opts.required ? html` <span class="field-required">${t('required')}</span>` : '';
  const help = helpId ? html`<p class="field-help" id="${helpId}">${opts.help}</p>` : '';
  const error = errorId ? html`<p class="field-error" id="${errorId}">${opts.error}</p>` : '';

  if (type === 'checkbox') {
    const input = html`<input${attrs({ ...common, type: 'checkbox', value: opts.value ?? 'on', checked: opts.checked })}>`;
    return html`<div class="field field-checkbox${errorId ? ' field-invalid' : ''}">${input}<label for="${id}">${opts.label}${marker}</label>${help}${error}</div>`;
  }

  let control: SafeHtml;
  if (type === 'textarea') {
    control = html`<textarea${attrs({ ...common, rows: opts.rows ?? 6, placeholder: opts.placeholder, maxlength: opts.maxlength })}>${opts.value === undefined ? '' : String(opts.value)}</textarea>`;
  } else if (type === 'select') {
    const selected = opts.value === undefined ? undefined : String(opts.value);
    const options = (opts.options ?? []).map(
      (o) => html`<option${attrs({ value: o.value, selected: o.value === selected })}>${o.label}</option>`,
    );
    control = html`<select${attrs({ ...common, autocomplete: opts.autocomplete })}>${options}</select>`;
  } else {
    control = html`<input${attrs({
      ...common,
      type,
      value: opts.value,
      autocomplete: opts.autocomplete,
      placeholder: opts.placeholder,
      inputmode: opts.inputmode,
      maxlength: opts.maxlength,
    })}>`;
  }
  return html`<div class="field${errorId ? ' field-invalid' : ''}"><label for="${id}">${opts.label}${marker}</label>${help}${control}${error}</div>`;
}

export type TableOptions = {
  caption: HtmlValue;
  columns: readonly HtmlValue[];
  rows: readonly (readonly HtmlValue[])[];
  /** Shown in one row when there are no rows. */
  empty?: HtmlValue;
  /** Indexes of columns to right-align (numbers, dates). */
  numeric?: readonly number[];
  id?: string;
};

/** A captioned table inside a keyboard-scrollable container, so wide tables scroll instead of widening the page. */
export function table(opts: TableOptions): SafeHtml {
  const captionId = `${opts.id ?? autoId('table')}-caption`;
  const numeric = new Set(opts.numeric ?? []);
  const cell = (i: number) => attrs({ class: numeric.has(i) ? 'num' : undefined });
  const head = opts.columns.map((c, i) => html`<th scope="col"${cell(i)}>${c}</th>`);
  const rows =
    opts.rows.length === 0 && opts.empty !== undefined
      ? html`<tr><td class="table-empty" colspan="${opts.columns.length}">${opts.empty}</td></tr>`
      : opts.rows.map((row) => html`<tr>${row.map((v, i) => html`<td${cell(i)}>${v}</td>`)}</tr>`);
  return html`<div class="table-scroll" role="region" tabindex="0" aria-labelledby="${captionId}"><table${attrs({ id: opts.id })}><caption id="${captionId}">${opts.caption}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** Preformatted text (JSON, OpenAPI, PEM); an object is shown as indented JSON. */
export function codeBlock(content: string | object, opts: { label?: string } = {}): SafeHtml {
  const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
  return html`<pre${attrs({ class: 'code-block', tabindex: 0, 'aria-label': opts.label })}><code>${text}</code></pre>`;
}

/** Term/description pairs (a record's details). */
export function definitionList(items: readonly (readonly [term: HtmlValue, description: HtmlValue])[]): SafeHtml {
  return html`<dl class="details">${items.map(([term, description]) => html`<div class="details-row"><dt>${term}</dt><dd>${description}</dd></div>`)}</dl>`;
}

/** What a list page shows when it has nothing yet, with an optional next step. */
export function emptyState(opts: { title: HtmlValue; text?: HtmlValue; action?: HtmlValue }): SafeHtml {
  return html`<div class="empty-state"><p class="empty-state-title">${opts.title}</p>${opts.text === undefined ? '' : html`<p>${opts.text}</p>`}${opts.action === undefined ? '' : html`<div class="empty-state-action">${opts.action}</div>`}</div>`;
}

/** Previous/next links around "page N of M"; `href(n)` builds each page's URL. */
export function pagination(opts: { locale: Locale; page: number; pages: number; href: (page: number) => string }): SafeHtml {
  if (opts.pages <= 1) return html``;
  const t = translator(uiMessages, opts.locale);
  const prev = opts.page > 1 ? html`<a rel="prev" href="${safeUrl(opts.href(opts.page - 1))}">${t('previousPage')}</a>` : '';
  const next = opts.page < opts.pages ? html`<a rel="next" href="${safeUrl(opts.href(opts.page + 1))}">${t('nextPage')}</a>` : '';
  return html`<nav class="pagination" aria-label="${t('paginationLabel')}">${prev}<span aria-current="page">${t('pageOf', { page: opts.page, pages: opts.pages })}</span>${next}</nav>`;
}
