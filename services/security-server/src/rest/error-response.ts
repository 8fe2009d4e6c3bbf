// PR-REST error responses of the Security Server: `{"type","message","detail"}` (JSON by default) or
// `<error><type/><message/><detail/></error>` when Accept prefers XML; header `X-Road-Error: <type>`;
// status by X-Road's rule (`server.*` → 500, otherwise 400). Header names are lower case.
import { xroadErrorStatus, type XRoadError } from '../errors.ts';

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function renderXRoadError(
  error: XRoadError | { type: string; message: string },
  accept: string | undefined,
  detail: string,
): RenderedError {
  const type = error.type;
  const message = error.message;
  const xml = preferredXml(accept);
  const headers: Record<string, string> = {
    'content-type': xml ? `${xml}; charset=utf-8` : JSON_TYPE,
    'x-road-error': headerSafe(type),
  };
  const body = xml
    ? `<?xml version="1.0" encoding="UTF-8"?><error><type>${xmlText(type)}</type><message>${xmlText(message)}</message><detail>${xmlText(detail)}</detail></error>`
    : JSON.stringify({ type, message, detail });
  return { status: xroadErrorStatus(type), headers, body };
}

interface AcceptRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(accept: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  for (const item of accept.split(',')) {
    const [range, ...params] = item.split(';');
    const [type, subtype] = (range ?? '').trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim());
      if (key?.toLowerCase() === 'q') {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** Quality of a media type under the most specific matching range (RFC 9110 §12.5.1); 0 if none. */
function quality(ranges: readonly AcceptRange[], type: string, subtype: string): number {
  let best = -1;
  let q = 0;
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' && range.subtype === '*' ? 0 : -1;
    if (specificity > best) {
      best = specificity;
      q = range.q;
    }
  }
  return best < 0 ? 0 : q;
}

/** 'application/xml' or 'text/xml' when Accept ranks XML strictly above JSON, else undefined (JSON). */
function preferredXml(accept: string | undefined): 'application/xml' | 'text/xml' | undefined {
  if (!accept || !accept.toLowerCase().includes('xml')) return undefined;
  const ranges = parseAccept(accept);
  const json = quality(ranges, 'application', 'json');
  const appXml = quality(ranges, 'application', 'xml');
  const textXml = quality(ranges, 'text', 'xml');
  if (Math.max(appXml, textXml) <= json) return undefined;
  return textXml > appXml ? 'text/xml' : 'application/xml';
}

/** Escapes XML text and drops characters XML 1.0 cannot carry. */
function xmlText(text: string): string {
  return text
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A header value that cannot split the response: visible ASCII and spaces only. */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '').trim();
}
