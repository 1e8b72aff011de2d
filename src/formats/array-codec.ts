/**
 * The one array codec of every graftlr file (schedule artifacts, probe traces, checkpoints): a numeric array
 * travels as the plain msgpack map
 *
 *   { dtype: "f32" | "f64" | "i32" | "u8" | "bool", shape: [d0, d1, ...], data: <bytes> }
 *
 * with data = prod(shape) elements, row-major, little-endian (bool: one byte 0 or 1, like u8). Plain msgpack,
 * never msgpackr extensions, so Python's `msgpack` reads it: `np.frombuffer(data, '<f4').reshape(shape)`.
 * Every axis and the element count are at most 2^31 - 1 (tensor shapes and typed arrays index with int32):
 * a larger declared shape is a corrupted file, refused before anything allocates for it.
 */

export type DType = 'f32' | 'f64' | 'i32' | 'u8' | 'bool';
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** How an array travels in a file. */
export interface PackedArray<D extends DType = DType> {
  dtype: D;
  shape: number[];
  data: Uint8Array;
}

/** Bytes per element. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { f32: 4, f64: 8, i32: 4, u8: 1, bool: 1 };

/** The largest axis and the most elements a file may declare. */
export const MAX_ELEMENTS = 0x7fffffff;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The dtype a typed array is written as (a Uint8Array is u8 unless the caller says bool). */
export function dtypeOf(a: NumericArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  return 'u8';
}

function checkedShape(a: NumericArray, shape: readonly number[], dtype: DType, who: string): number[] {
  const n = shape.reduce((p, d) => p * d, 1);
  if (n !== a.length) throw new Error(`${who}: shape [${shape}] holds ${n} elements but the array has ${a.length}`);
  const natural = dtypeOf(a);
  if (dtype !== natural && !(dtype === 'bool' && natural === 'u8')) {
    throw new Error(`${who}: a ${a.constructor.name} cannot be written as ${dtype}`);
  }
  return [...shape];
}

/** Little-endian bytes of `a` in a fresh buffer (never a view of memory the caller may change later). */
export function packArray(a: NumericArray, shape: readonly number[] = [a.length], dtype: DType = dtypeOf(a)): PackedArray {
  const checked = checkedShape(a, shape, dtype, 'packArray');
  if (LITTLE_ENDIAN) return { dtype, shape: checked, data: new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)) };
  const data = new Uint8Array(a.byteLength);
  const view = new DataView(data.buffer);
  for (let i = 0; i < a.length; i++) {
    if (dtype === 'f32') view.setFloat32(4 * i, a[i], true);
    else if (dtype === 'f64') view.setFloat64(8 * i, a[i], true);
    else if (dtype === 'i32') view.setInt32(4 * i, a[i], true);
    else data[i] = a[i];
  }
  return { dtype, shape: checked, data };
}

/**
 * The same record as packArray, but `data` is a view of `a` (no copy) on little-endian machines: for writing
 * large tensors straight to a file. The record borrows `a`: write it before `a` changes.
 */
export function borrowArray(a: NumericArray, shape: readonly number[] = [a.length], dtype: DType = dtypeOf(a)): PackedArray {
  if (!LITTLE_ENDIAN) return packArray(a, shape, dtype);
  return { dtype, shape: checkedShape(a, shape, dtype, 'borrowArray'), data: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
}

const orList = (xs: readonly string[]): string => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`);

function isRecord(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks a decoded `{dtype, shape, data}` value without copying it. `where` names it in errors; `dtypes`
 * restricts the dtype; `expectedShape` the shape (null = any length along that axis), so a [G, m] array is
 * refused where [m, G] is meant although both hold the same number of elements.
 */
export function checkPackedArray<D extends DType = DType>(
  x: unknown,
  where: string,
  dtypes?: readonly D[],
  expectedShape?: readonly (number | null)[],
): PackedArray<D> {
  const bad = (why: string) => new Error(`${where}: ${why}`);
  if (!isRecord(x)) throw bad('expected an array record {dtype, shape, data}');
  const { dtype, shape, data } = x;
  const allowed: readonly string[] = dtypes ?? Object.keys(DTYPE_BYTES);
  if (typeof dtype !== 'string') throw bad(`dtype must be a string (${orList(allowed)})`);
  if (!(dtype in DTYPE_BYTES)) throw bad(`unknown dtype ${JSON.stringify(dtype).slice(0, 40)} (expected ${orList(allowed)})`);
  if (!allowed.includes(dtype)) throw bad(`dtype ${dtype}, expected ${orList(allowed)}`);
  const axis = (d: unknown): boolean => typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_ELEMENTS;
  if (!Array.isArray(shape) || !shape.every(axis)) {
    const shown = Array.isArray(shape) ? `[${shape.map(String)}]` : String(shape).slice(0, 40);
    throw bad(`bad shape ${shown}: expected integers in [0, ${MAX_ELEMENTS}]`);
  }
  if (expectedShape && (shape.length !== expectedShape.length || expectedShape.some((d, i) => d !== null && d !== shape[i]))) {
    throw bad(`shape [${shape}] is not the expected [${expectedShape.map((d) => d ?? 'any').join(',')}]`);
  }
  const n = (shape as number[]).reduce((p, d) => p * d, 1);
  if (n > MAX_ELEMENTS) throw bad(`shape [${shape}] declares ${n} elements, more than ${MAX_ELEMENTS}`);
  if (!(data instanceof Uint8Array)) throw bad('data must be bytes');
  const size = DTYPE_BYTES[dtype as DType];
  if (data.byteLength !== n * size) throw bad(`shape [${shape}] needs ${n * size} bytes of ${dtype} but data has ${data.byteLength}`);
  return x as unknown as PackedArray<D>;
}

/** The values of a checked record as a typed array (a copy with its own aligned buffer). bool reads as Uint8Array. */
export function arrayValues(p: PackedArray): NumericArray {
  const n = p.data.byteLength / DTYPE_BYTES[p.dtype];
  if (p.dtype === 'u8' || p.dtype === 'bool') return Uint8Array.from(p.data);
  if (LITTLE_ENDIAN) {
    const copy = new Uint8Array(p.data).buffer; // Buffer#slice would be a view; this is a copy
    return p.dtype === 'f32' ? new Float32Array(copy) : p.dtype === 'f64' ? new Float64Array(copy) : new Int32Array(copy);
  }
  const view = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  const out = p.dtype === 'f32' ? new Float32Array(n) : p.dtype === 'f64' ? new Float64Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (p.dtype === 'f32') out[i] = view.getFloat32(4 * i, true);
    else if (p.dtype === 'f64') out[i] = view.getFloat64(8 * i, true);
    else out[i] = view.getInt32(4 * i, true);
  }
  return out;
}

/** checkPackedArray, then its values (a copy). */
export function unpackArray(
  x: unknown,
  where: string,
  dtypes?: readonly DType[],
  expectedShape?: readonly (number | null)[],
): NumericArray {
  return arrayValues(checkPackedArray(x, where, dtypes, expectedShape));
}
