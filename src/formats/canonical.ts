/**
 * Canonical msgpack, the bytes a container's checksum is taken over: map keys sorted by their UTF-8 bytes;
 * integers in the int32/uint32 range in their smallest msgpack form and every other number as float64 (what
 * msgpackr writes, and what Python's `msgpack.packb` writes back after reading it); strings and bytes with the
 * smallest header. Python reproduces it with `msgpack.packb(sort_keys_recursively(x), use_bin_type=True)`.
 * Only null, booleans, finite numbers, strings, Uint8Array, arrays and plain objects are allowed.
 */
import { createHash } from 'node:crypto';

/** A `{...}` object (not an array, typed array, Date, Map or class instance). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** A short description of a decoded value for messages (never JSON.stringify: it throws on a BigInt). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'bigint') return `the 64-bit integer ${v}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (isPlainObject(v)) return 'a map';
  return Object.prototype.toString.call(v);
}

/** The canonical encoding of `value` in one buffer. */
export function canonicalEncode(value: unknown): Uint8Array {
  const out = new ByteSink();
  writeCanonical(out, value, '');
  return out.bytes();
}

/** sha256 of the canonical encoding, written "sha256:<64 hex digits>". */
export function checksumOf(body: unknown): string {
  return 'sha256:' + createHash('sha256').update(canonicalEncode(body)).digest('hex');
}

/** Short form of a checksum or fingerprint for messages and tables: the first 12 hex digits. */
export function shortHash(h: string): string {
  return h.replace(/^sha256:/, '').slice(0, 12);
}

const UTF8 = new TextEncoder();

function writeCanonical(out: ByteSink, v: unknown, where: string): void {
  if (v === null) return out.u8(0xc0);
  if (v === false) return out.u8(0xc2);
  if (v === true) return out.u8(0xc3);
  if (typeof v === 'number') return writeNumber(out, v, where);
  if (typeof v === 'string') {
    const b = UTF8.encode(v);
    header(out, b.length, [0xa0, 32], 0xd9, 0xda, 0xdb);
    return out.raw(b);
  }
  if (v instanceof Uint8Array) {
    header(out, v.length, null, 0xc4, 0xc5, 0xc6);
    return out.raw(v);
  }
  if (Array.isArray(v)) {
    header(out, v.length, [0x90, 16], null, 0xdc, 0xdd);
    v.forEach((x, i) => writeCanonical(out, x, `${where}[${i}]`));
    return;
  }
  if (isPlainObject(v)) {
    const keys = Object.keys(v)
      .map((k) => ({ k, b: UTF8.encode(k) }))
      .sort((x, y) => Buffer.compare(x.b, y.b));
    header(out, keys.length, [0x80, 16], null, 0xde, 0xdf);
    for (const { k, b } of keys) {
      header(out, b.length, [0xa0, 32], 0xd9, 0xda, 0xdb);
      out.raw(b);
      writeCanonical(out, v[k], where ? `${where}.${k}` : k);
    }
    return;
  }
  const kind = v === undefined ? 'undefined' : Object.prototype.toString.call(v);
  throw new Error(`cannot encode ${where || 'value'}: ${kind} is not a plain value (omit the field or convert it)`);
}

function writeNumber(out: ByteSink, v: number, where: string): void {
  if (!Number.isFinite(v)) throw new Error(`cannot encode ${where || 'value'} = ${v}: numbers must be finite (use null for "no value")`);
  if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) {
    if (v < 128) return out.u8(v);
    if (v < 0x100) return (out.u8(0xcc), out.u8(v));
    if (v < 0x10000) return (out.u8(0xcd), out.be(v, 2));
    return (out.u8(0xce), out.be(v, 4));
  }
  if (Number.isInteger(v) && v < 0 && v >= -0x80000000) {
    if (v >= -32) return out.u8(v & 0xff);
    if (v >= -128) return (out.u8(0xd0), out.u8(v & 0xff));
    if (v >= -32768) return (out.u8(0xd1), out.be(v & 0xffff, 2));
    return (out.u8(0xd2), out.be(v >>> 0, 4));
  }
  out.u8(0xcb);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, false);
  out.raw(b);
}

/** Length header: a fix form (base, limit) if given and it fits, else 8/16/32-bit forms. */
function header(out: ByteSink, n: number, fix: [number, number] | null, c8: number | null, c16: number, c32: number): void {
  if (fix && n < fix[1]) return out.u8(fix[0] | n);
  if (c8 !== null && n < 0x100) return (out.u8(c8), out.u8(n));
  if (n < 0x10000) return (out.u8(c16), out.be(n, 2));
  out.u8(c32);
  out.be(n, 4);
}

class ByteSink {
  private buf = new Uint8Array(1024);
  private n = 0;
  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  u8(x: number): void {
    this.ensure(1);
    this.buf[this.n++] = x;
  }
  be(x: number, bytes: number): void {
    for (let i = bytes - 1; i >= 0; i--) this.u8(Math.floor(x / 2 ** (8 * i)) & 0xff);
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}
