/**
 * msgpack encoding as a sequence of chunks, for files too large to hold twice in memory (checkpoints of
 * BERT-size models): maps, arrays and byte strings get their headers written here, every large byte string
 * (a tensor) is yielded as it is, without a copy, and every other value is packed by msgpackr. The result
 * is standard msgpack (any msgpack reader decodes it).
 *
 *   map    n < 16: 0x80|n          n < 2^16: 0xde + uint16        else: 0xdf + uint32
 *   array  n < 16: 0x90|n          n < 2^16: 0xdc + uint16        else: 0xdd + uint32
 *   bin    n < 2^8: 0xc4 + uint8   n < 2^16: 0xc5 + uint16        else: 0xc6 + uint32   (big-endian lengths)
 */
import { Packr } from 'msgpackr';
import { isPlainObject } from './canonical.js';

const packr = new Packr({ useRecords: false, moreTypes: false });

/** Byte strings at least this long are yielded as they are (smaller ones are packed with their header). */
const STREAM_BYTES = 4096;

function header(small: number, codes: [number, number], n: number): Uint8Array {
  if (small >= 0 && n < 16) return Uint8Array.of(small | n);
  if (n < 0x10000) return Uint8Array.of(codes[0], n >> 8, n & 0xff);
  if (n > 0xffffffff) throw new Error(`msgpack: ${n} entries or bytes do not fit in 32 bits`);
  return Uint8Array.of(codes[1], n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** The header of a byte string of `n` bytes. */
export function binHeader(n: number): Uint8Array {
  return n < 0x100 ? Uint8Array.of(0xc4, n) : header(-1, [0xc5, 0xc6], n);
}

/** The encoding of `value` as chunks (see the file comment). Object entries that are `undefined` are left out. */
export function* msgpackChunks(value: unknown): Generator<Uint8Array> {
  if (value instanceof Uint8Array && value.byteLength >= STREAM_BYTES) {
    yield binHeader(value.byteLength);
    yield value;
  } else if (Array.isArray(value)) {
    yield header(0x90, [0xdc, 0xdd], value.length);
    for (const item of value) yield* msgpackChunks(item);
  } else if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    yield header(0x80, [0xde, 0xdf], entries.length);
    for (const [key, v] of entries) {
      yield packr.pack(key);
      yield* msgpackChunks(v);
    }
  } else {
    yield packr.pack(value);
  }
}

/** Total bytes of msgpackChunks(value), without keeping the chunks. */
export function msgpackLength(value: unknown): number {
  let n = 0;
  for (const chunk of msgpackChunks(value)) n += chunk.byteLength;
  return n;
}
