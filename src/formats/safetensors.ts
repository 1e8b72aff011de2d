/**
 * The safetensors format (Hugging Face): a file that PyTorch, JAX and transformers.js read directly.
 *
 *   bytes 0..8      N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N    JSON header: { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
 *                   "__metadata__": { "<key>": "<string>" } }, padded with spaces
 *   bytes 8+N..     the data buffer; offsets are relative to its start, tensors are row-major little-endian,
 *                   laid end to end with no holes.
 * This writer puts tensors in sorted-name order and pads the header with spaces so that the data buffer
 * starts at a multiple of 8 bytes (every tensor stays aligned to its element size for zero-copy readers).
 */

export type SafeDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** A tensor: dtype, shape and typed data (F16 / BF16 as raw 16-bit words, BOOL as bytes). */
export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  data: Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
}

export interface SafetensorsFile {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100_000_000; // the reference implementation's limit

function view(dtype: SafeDType, bytes: Uint8Array): SafeTensor['data'] {
  const b = bytes.slice().buffer; // a copy: aligned, owned by the caller
  switch (dtype) {
    case 'F64':
      return new Float64Array(b);
    case 'F32':
      return new Float32Array(b);
    case 'F16':
    case 'BF16':
      return new Uint16Array(b);
    case 'I64':
      return new BigInt64Array(b);
    case 'I32':
      return new Int32Array(b);
    case 'I16':
      return new Int16Array(b);
    case 'I8':
      return new Int8Array(b);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(b);
  }
}

/** Serialises tensors (sorted by name) and string metadata into safetensors bytes. */
export function writeSafetensors(tensors: Record<string, SafeTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) throw new Error(`tensor "${name}" has ${t.data.length} values but shape [${t.shape}] needs ${count}`);
    if (t.data.BYTES_PER_ELEMENT !== BYTES[t.dtype]) throw new Error(`tensor "${name}": data does not hold ${t.dtype} values`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const padded = Math.ceil((8 + jsonBytes.length) / 8) * 8 - 8; // data starts at a multiple of 8
  json += ' '.repeat(padded - jsonBytes.length);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + padded;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

interface TensorEntry {
  dtype: SafeDType;
  shape: number[];
  data_offsets: [number, number];
}

/** One header entry as the format defines it: {dtype, shape: integers >= 0, data_offsets: [begin, end]}. */
function checkEntry(name: string, entry: unknown, bad: (why: string) => Error): TensorEntry {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw bad(`header entry "${name}" is ${JSON.stringify(entry)?.slice(0, 40)}, not an object {dtype, shape, data_offsets}`);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) throw bad(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor "${name}" has a bad shape`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw bad(`tensor "${name}" has bad data_offsets`);
  }
  return { dtype: dtype as SafeDType, shape: shape as number[], data_offsets: offsets as [number, number] };
}

/** The optional __metadata__ entry: an object of string values. */
function checkMetadata(value: unknown, bad: (why: string) => Error): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw bad('the header entry "__metadata__" is not an object of strings');
  }
  return value as Record<string, string>;
}

/** Parses safetensors bytes; throws a one-line error naming `what` for a malformed or truncated file. */
export function readSafetensors(bytes: Uint8Array, what = 'the safetensors file'): SafetensorsFile {
  const bad = (why: string): Error => new Error(`${what} is not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad(`only ${bytes.length} bytes`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER) || 8 + Number(n) > bytes.length)
    throw bad(`header length ${n} does not fit in ${bytes.length} bytes (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + Number(n))));
  } catch {
    throw bad('the header is not JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const data = bytes.subarray(8 + Number(n));
  const metadata = checkMetadata(header.__metadata__, bad);
  // Every entry is checked before it is used: a header comes from the file, and an entry of null or a
  // number must give a reason naming it, not "Cannot read properties of null".
  const entries: [string, TensorEntry][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name !== '__metadata__') entries.push([name, checkEntry(name, entry, bad)]);
  }
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  const tensors: Record<string, SafeTensor> = {};
  let expectedBegin = 0;
  for (const [
    name,
    {
      dtype,
      shape,
      data_offsets: [begin, end],
    },
  ] of entries) {
    const size = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (begin !== expectedBegin) throw bad(`tensor "${name}" starts at ${begin}, expected ${expectedBegin} (holes or overlap)`);
    if (end - begin !== size) throw bad(`tensor "${name}" spans ${end - begin} bytes but ${dtype}[${shape}] needs ${size}`);
    if (end > data.length) throw bad(`tensor "${name}" ends at ${end} but the data holds ${data.length} bytes (truncated?)`);
    tensors[name] = { dtype, shape, data: view(dtype, data.subarray(begin, end)) };
    expectedBegin = end;
  }
  if (expectedBegin !== data.length) throw bad(`${data.length - expectedBegin} bytes after the last tensor`);
  return { tensors, metadata };
}

/** The tensor's values as float32 (F32 copied as is; F64, F16 and BF16 converted). */
export function toFloat32(t: SafeTensor, name: string): Float32Array {
  if (t.dtype === 'F32' || t.dtype === 'F64') return Float32Array.from(t.data as Float32Array);
  const words = t.data as Uint16Array;
  const out = new Float32Array(words.length);
  if (t.dtype === 'BF16') {
    // bfloat16 is the top half of a float32
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < words.length; i++) bits[i] = words[i] << 16;
    return out;
  }
  if (t.dtype === 'F16') {
    for (let i = 0; i < words.length; i++) out[i] = halfToFloat(words[i]);
    return out;
  }
  throw new Error(`tensor "${name}" has dtype ${t.dtype}: expected a floating-point dtype`);
}

/** IEEE 754 binary16 -> number: sign, 5-bit exponent (bias 15), 10-bit fraction. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f,
    frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal: frac / 1024 * 2^-14
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
