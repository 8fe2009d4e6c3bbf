import * as asn1js from 'asn1js';
import { PkiError } from './errors.ts';
import { encode, parseAsn1 } from './der.ts';

/** Distinguished name as ordered [shortName, value] pairs (one attribute per RDN). */
export type NameInput = Array<[string, string]>;

const OID_BY_SHORT: Record<string, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  serialNumber: '2.5.4.5',
};
const SHORT_BY_OID: Record<string, string> = Object.fromEntries(Object.entries(OID_BY_SHORT).map(([k, v]) => [v, k]));

/** Attributes whose ASN.1 type is PrintableString (X.520); all others are UTF8String. */
const PRINTABLE_ONLY = new Set(['2.5.4.6', '2.5.4.5']);
const PRINTABLE_RE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function attributeOid(type: string): string {
  const oid = OID_BY_SHORT[type] ?? (/^\d+(\.\d+)+$/.test(type) ? type : undefined);
  if (!oid) throw new PkiError('PKI_NAME_INVALID', `unsupported name attribute ${type}`);
  return oid;
}

function attributeValue(oid: string, value: string): asn1js.BaseBlock {
  if (typeof value !== 'string' || value.length === 0) throw new PkiError('PKI_NAME_INVALID', `empty value for ${oid}`);
  if (PRINTABLE_ONLY.has(oid)) {
    if (!PRINTABLE_RE.test(value)) throw new PkiError('PKI_NAME_INVALID', `value of ${SHORT_BY_OID[oid]} must be PrintableString`);
    if (oid === '2.5.4.6' && !/^[A-Z]{2}$/.test(value)) throw new PkiError('PKI_NAME_INVALID', 'C must be a two-letter country code');
    return new asn1js.PrintableString({ value });
  }
  return new asn1js.Utf8String({ value });
}

/** ASN.1 schema of a Name (RDNSequence), one attribute per RDN. */
export function nameToSchema(name: NameInput): asn1js.Sequence {
  if (!Array.isArray(name) || name.length === 0) throw new PkiError('PKI_NAME_INVALID', 'name must have at least one attribute');
  return new asn1js.Sequence({
    value: name.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new PkiError('PKI_NAME_INVALID', 'name attribute must be [type, value]');
      const oid = attributeOid(pair[0]);
      return new asn1js.Set({
        value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), attributeValue(oid, pair[1])] })],
      });
    }),
  });
}

/** DER encoding of a Name. */
export function encodeName(name: NameInput): Uint8Array {
  return encode(nameToSchema(name));
}

function stringOf(block: asn1js.BaseBlock): string {
  const vb = (block as unknown as { valueBlock: { value?: unknown } }).valueBlock;
  if (typeof vb.value === 'string') return vb.value;
  throw new PkiError('PKI_NAME_INVALID', 'unsupported attribute value type in name');
}

/** Reads a Name from its ASN.1 element (a SEQUENCE of SETs). */
export function nameFromSchema(seq: asn1js.AsnType): NameInput {
  if (!(seq instanceof asn1js.Sequence)) throw new PkiError('PKI_NAME_INVALID', 'name is not a SEQUENCE');
  const out: NameInput = [];
  for (const rdn of seq.valueBlock.value) {
    if (!(rdn instanceof asn1js.Set)) throw new PkiError('PKI_NAME_INVALID', 'RDN is not a SET');
    for (const atv of rdn.valueBlock.value) {
      const parts = atv instanceof asn1js.Sequence ? atv.valueBlock.value : [];
      const [type, value] = parts;
      if (!(type instanceof asn1js.ObjectIdentifier) || !value) throw new PkiError('PKI_NAME_INVALID', 'bad AttributeTypeAndValue');
      const oid = type.valueBlock.toString();
      out.push([SHORT_BY_OID[oid] ?? oid, stringOf(value)]);
    }
  }
  return out;
}

/** Parses a DER Name. */
export function decodeName(der: Uint8Array): NameInput {
  return nameFromSchema(parseAsn1(der, 'PKI_NAME_INVALID', 'name'));
}

function escapeValue(v: string): string {
  let s = v.replace(/([,+"\\<>;=])/g, '\\$1');
  if (s.startsWith('#') || s.startsWith(' ')) s = `\\${s}`;
  if (s.endsWith(' ')) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/**
 * Display form "C=JP, O=JP-TEST, CN=x" in the array's order (like OpenSSL's
 * default, not the reversed RFC 4514 order); special characters are escaped
 * with a backslash as in RFC 4514.
 */
export function formatName(name: NameInput): string {
  return name.map(([t, v]) => `${t}=${escapeValue(v)}`).join(', ');
}

/** Inverse of formatName. */
export function parseName(text: string): NameInput {
  const out: NameInput = [];
  let type = '';
  let value = '';
  let inValue = false;
  const flush = () => {
    const t = type.trim();
    if (!inValue || !t) throw new PkiError('PKI_NAME_INVALID', `cannot parse name "${text}"`);
    attributeOid(t);
    out.push([t, value]);
    type = '';
    value = '';
    inValue = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[++i] as string;
      if (inValue) value += next;
      else type += next;
      continue;
    }
    if (!inValue && ch === '=') {
      inValue = true;
      continue;
    }
    if (ch === ',') {
      flush();
      while (text[i + 1] === ' ') i++;
      continue;
    }
    if (inValue) value += ch;
    else type += ch;
  }
  flush();
  return out;
}
