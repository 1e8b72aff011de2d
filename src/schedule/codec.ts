/**
 * Binary building blocks shared by the schedule artifact and the raw trace file:
 *
 * - numeric arrays as plain msgpack values `{dtype, shape, data: <little-endian bytes>}` (never msgpackr
 *   extensions, so Python's `msgpack` reads them; numpy: `np.frombuffer(data, '<f4').reshape(shape)`);
 * - a canonical msgpack encoding (keys sorted, smallest forms) whose sha256 is the file's checksum;
 * - a container: a msgpack map with `format`, `version`, ..., `checksum`, decoded with checks in the
 *   order magic -> version -> checksum, each failing with a one-line message that says what to do.
 *
 * See artifacts/FORMAT.md for the byte layout and a Python reader.
 */
import { createHash } from 'node:crypto';
import { pack, unpack } from 'msgpackr';

export type DType = 'f32' | 'f64' | 'i32' | 'u8';
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** How an array travels in a file. `data` holds prod(shape) elements, little-endian. */
export interface PackedArray {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

const BYTES: Record<DType, number> = { f32: 4, f64: 8, i32: 4, u8: 1 };

/** The largest length along one axis a file may declare (int32, as tensor shapes): larger is a corrupted file. */
export const MAX_DIMENSION = 0x7fffffff;

function dtypeOf(a: NumericArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  return 'u8';
}

/** Copies a typed array into little-endian bytes (a fresh buffer: never a view of stale memory). */
export function packArray(a: NumericArray, shape: number[] = [a.length]): PackedArray {
  const n = shape.reduce((p, d) => p * d, 1);
  if (n !== a.length) throw new Error(`packArray: shape [${shape}] holds ${n} elements but the array has ${a.length}`);
  const dtype = dtypeOf(a);
  const data = new Uint8Array(a.length * BYTES[dtype]);
  const view = new DataView(data.buffer);
  for (let i = 0; i < a.length; i++) {
    if (dtype === 'f32') view.setFloat32(4 * i, a[i], true);
    else if (dtype === 'f64') view.setFloat64(8 * i, a[i], true);
    else if (dtype === 'i32') view.setInt32(4 * i, a[i], true);
    else data[i] = a[i];
  }
  return { dtype, shape: [...shape], data };
}

/**
 * Checks a decoded `{dtype, shape, data}` value and returns its typed array (a copy).
 * `where` names the field in error messages; `expected` restricts the dtype; `expectedShape` the shape
 * (null = any length along that axis), so a [G, m] array is refused where [m, G] is meant, although both
 * hold the same number of elements.
 */
export function unpackArray(x: unknown, where: string, expected?: DType[], expectedShape?: readonly (number | null)[]): NumericArray {
  const bad = (why: string) => new Error(`${where}: ${why}`);
  if (!isPlainObject(x)) throw bad('expected an array record {dtype, shape, data}');
  const { dtype, shape, data } = x as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in BYTES)) throw bad(`unknown dtype ${JSON.stringify(dtype)}`);
  if (expected && !expected.includes(dtype as DType)) throw bad(`dtype ${dtype}, expected ${expected.join(' or ')}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_DIMENSION)) {
    throw bad(`shape must be a list of integers in [0, ${MAX_DIMENSION}]`);
  }
  if (expectedShape && (shape.length !== expectedShape.length || expectedShape.some((d, i) => d !== null && d !== shape[i]))) {
    throw bad(`shape [${shape}] is not the expected [${expectedShape.map((d) => d ?? 'any').join(',')}]`);
  }
  if (!(data instanceof Uint8Array)) throw bad('data must be bytes');
  const n = (shape as number[]).reduce((p, d) => p * d, 1);
  const size = BYTES[dtype as DType];
  if (data.length !== n * size) throw bad(`shape [${shape}] needs ${n * size} bytes of ${dtype} but data has ${data.length}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dtype === 'u8') return Uint8Array.from(data);
  const out = dtype === 'f32' ? new Float32Array(n) : dtype === 'f64' ? new Float64Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = dtype === 'f32' ? view.getFloat32(4 * i, true) : dtype === 'f64' ? view.getFloat64(8 * i, true) : view.getInt32(4 * i, true);
  }
  return out;
}

/** A `{...}` object (not an array, typed array, Date, Map or class instance). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** sha256 of the canonical encoding, written "sha256:<64 hex digits>". */
export function checksumOf(body: unknown): string {
  return 'sha256:' + createHash('sha256').update(canonicalEncode(body)).digest('hex');
}

/** Short form of a checksum or fingerprint for messages and tables: the first 12 hex digits. */
export function shortHash(h: string): string {
  return h.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * Canonical msgpack: map keys sorted by their UTF-8 bytes; integers in the int32/uint32 range in their
 * smallest msgpack form and every other number as float64 (what msgpackr writes, and what Python's
 * `msgpack.packb` writes back after reading it); strings and bytes with the smallest header.
 * Python reproduces it with `msgpack.packb(sort_keys_recursively(x), use_bin_type=True)`.
 * Only null, booleans, finite numbers, strings, Uint8Array, arrays and plain objects are allowed.
 */
export function canonicalEncode(value: unknown): Uint8Array {
  const out = new ByteSink();
  writeCanonical(out, value, '');
  return out.bytes();
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
    const keys = Object.keys(v).map((k) => ({ k, b: UTF8.encode(k) })).sort((x, y) => Buffer.compare(x.b, y.b));
    header(out, keys.length, [0x80, 16], null, 0xde, 0xdf);
    for (const { k, b } of keys) {
      header(out, b.length, [0xa0, 32], 0xd9, 0xda, 0xdb);
      out.raw(b);
      writeCanonical(out, v[k], where ? `${where}.${k}` : k);
    }
    return;
  }
  throw new Error(`cannot encode ${where || 'value'}: ${v === undefined ? 'undefined' : Object.prototype.toString.call(v)} is not a plain value (omit the field or convert it)`);
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
  u8(x: number): void { this.ensure(1); this.buf[this.n++] = x; }
  be(x: number, bytes: number): void { for (let i = bytes - 1; i >= 0; i--) this.u8(Math.floor(x / 2 ** (8 * i)) & 0xff); }
  raw(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.n); this.n += b.length; }
  bytes(): Uint8Array { return this.buf.slice(0, this.n); }
}

/** Describes a container format for encodeContainer/decodeContainer. */
export interface ContainerSpec {
  format: string;   // magic, e.g. "graftlr.schedule"
  version: number;  // the newest version this code reads and writes
  what: string;     // "schedule artifact", for messages
  remedy: string;   // what to do about a corrupted file, e.g. "re-run extract"
}

/**
 * Packs `body` (which must already hold `format` and `version`) with its checksum appended, using
 * msgpackr's plain encoding (no records, no extensions). canonicalEncode runs first, so a value
 * msgpackr would write as an extension (undefined, typed arrays, dates) is refused here.
 */
export function encodeContainer(body: Record<string, unknown>): Uint8Array {
  const checksum = checksumOf(body);
  return pack({ ...body, checksum });
}

/** Unpacks and checks magic, version and checksum. Returns the body (without `checksum`) for type checks. */
export function decodeContainer(bytes: Uint8Array, spec: ContainerSpec): { body: Record<string, unknown>; checksum: string } {
  let raw: unknown;
  try {
    raw = unpack(bytes);
  } catch (err) {
    throw new Error(`${spec.what} is not readable msgpack (truncated or corrupted: ${(err as Error).message}): ${spec.remedy}`);
  }
  const format = isPlainObject(raw) ? raw.format : undefined;
  if (format !== spec.format) {
    const found = typeof format === 'string' ? `its format is "${format}"` : 'it has no format field';
    throw new Error(`not a ${spec.what}: expected format "${spec.format}" but ${found}: pass a file written by graftlr`);
  }
  const obj = raw as Record<string, unknown>;
  const version = obj.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    const shown = typeof version === 'bigint' ? `${version} (a 64-bit integer)` : JSON.stringify(version) ?? String(version); // JSON.stringify throws on a BigInt
    throw new Error(`${spec.what} has an invalid version ${shown.slice(0, 40)}: the file is corrupted; ${spec.remedy}`);
  }
  if (version > spec.version) {
    throw new Error(`${spec.what} version ${version} was made by a newer graftlr (this one reads version ${spec.version}): upgrade graftlr`);
  }
  const { checksum, ...body } = obj;
  if (typeof checksum !== 'string') throw new Error(`${spec.what} has no checksum: the file is corrupted; ${spec.remedy}`);
  let computed: string;
  try {
    computed = checksumOf(body);
  } catch (err) {
    throw new Error(`${spec.what} holds a value graftlr never writes (${(err as Error).message}): the file is corrupted; ${spec.remedy}`);
  }
  if (computed !== checksum) {
    throw new Error(`${spec.what} checksum mismatch (stored ${shortHash(checksum)}, computed ${shortHash(computed)}): the file is corrupted; ${spec.remedy}`);
  }
  return { body, checksum };
}
