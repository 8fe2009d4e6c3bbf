// Reuse of prepared signers by the one-shot APIs (buildOcspResponse, buildTimeStampResponse), which
// receive the certificate and key again on every call. An entry is keyed by the private KeyObject
// (immutable) and used only when every other input is identical to the one it was prepared from,
// so a hit gives exactly what preparing again would.
import type { KeyObject } from 'node:crypto';
import { bytesEqual } from './der.ts';

export type SignerInput = Uint8Array | string | number | undefined;

interface Entry<T> {
  inputs: SignerInput[];
  value: T;
}

const MAX_ENTRIES_PER_KEY = 4;

function copy(input: SignerInput): SignerInput {
  return input instanceof Uint8Array ? Uint8Array.from(input) : input;
}

function same(a: SignerInput, b: SignerInput): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b);
  return a === b;
}

export interface SignerCache<T> {
  get(key: KeyObject, inputs: SignerInput[], prepare: () => T): T;
}

export function createSignerCache<T>(): SignerCache<T> {
  const entries = new WeakMap<KeyObject, Array<Entry<T>>>();
  return {
    get(key, inputs, prepare) {
      const list = entries.get(key) ?? [];
      const hit = list.find((e) => e.inputs.length === inputs.length && e.inputs.every((v, i) => same(v, inputs[i])));
      if (hit) return hit.value;
      const value = prepare();
      list.push({ inputs: inputs.map(copy), value });
      if (list.length > MAX_ENTRIES_PER_KEY) list.shift();
      entries.set(key, list);
      return value;
    },
  };
}
