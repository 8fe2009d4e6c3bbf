// The zip writer has yazl compute CRC-32 with Node's native zlib.crc32 instead of buffer-crc32's
// JavaScript loop: the switch is in place, and the values equal a plain table CRC-32 (the zip
// polynomial), whole and chunk by chunk as yazl's stream path uses it.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import '../src/index.ts';

const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function tableCrc32(buf: Buffer, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (const byte of buf) crc = (TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return (crc ^ 0xffffffff) >>> 0;
}

const fromYazl = createRequire(createRequire(import.meta.url).resolve('yazl'));
const bufferCrc32 = fromYazl('buffer-crc32') as { unsigned: ((buf: unknown, previous?: unknown) => number) & { native?: true } };

describe('CRC-32 of zip entries', () => {
  it('yazl’s CRC-32 is the native one', () => {
    expect(bufferCrc32.unsigned.native).toBe(true);
  });

  it('gives the same values as a table CRC-32, whole and in chunks', () => {
    expect(bufferCrc32.unsigned(Buffer.from('123456789'))).toBe(0xcbf43926);
    for (const size of [0, 1, 7, 1000, 70_000]) {
      const data = randomBytes(size);
      expect(bufferCrc32.unsigned(data)).toBe(tableCrc32(data));
      let running = 0;
      for (let at = 0; at < size; at += 4096) running = bufferCrc32.unsigned(data.subarray(at, at + 4096), running);
      expect(running).toBe(tableCrc32(data));
    }
    // Inputs yazl never passes still take the JavaScript path.
    expect(bufferCrc32.unsigned('123456789')).toBe(0xcbf43926);
  });
});
