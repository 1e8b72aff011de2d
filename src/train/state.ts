/**
 * Host copies of nested optimizer states (and anything else made of tensors, numbers and strings).
 *
 * An optimizer state is any nested value: plain objects, arrays, numbers, strings, booleans, null and
 * tfjs tensors (Adam: {m, v, count}; graft: {magnitude, direction, count, norms}). `toHostTree` turns it
 * into plain data with every tensor replaced by a host array node, so it can be msgpack-encoded;
 * `fromHostTree` rebuilds the value with fresh tensors. The round trip is bit-exact.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A tensor as plain bytes: little-endian, row-major. `dtype` uses the artifact's short names. */
export interface HostArray {
  dtype: 'f32' | 'i32' | 'bool';
  shape: number[];
  data: Uint8Array;
}

/** Marker key of a tensor node inside a host tree: `{ $tensor: HostArray }`. */
export const TENSOR_KEY = '$tensor';

/**
 * The most elements (and the longest axis) a stored tensor may declare: tfjs shapes and typed arrays index with
 * int32. A larger declared shape is a corrupted file, refused before anything allocates or compares it.
 */
export const MAX_TENSOR_ELEMENTS = 0x7fffffff;

export type HostTree = null | boolean | number | string | HostTree[] | { [key: string]: HostTree };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('this machine is big-endian: tensor byte encoding assumes little-endian');
}

const SHORT: Record<string, HostArray['dtype']> = { float32: 'f32', int32: 'i32', bool: 'bool' };

/** Copies a tensor's values into little-endian bytes. Borrows the tensor (reads it synchronously). */
export function tensorToHostArray(t: tf.Tensor): HostArray {
  assertLittleEndian();
  const dtype = SHORT[t.dtype];
  if (dtype === undefined) throw new Error(`cannot store a tensor of dtype ${t.dtype}: expected float32, int32 or bool`);
  const values = t.dataSync();
  let bytes: Uint8Array;
  if (dtype === 'bool') bytes = Uint8Array.from(values as Uint8Array);
  else {
    const typed = dtype === 'f32' ? Float32Array.from(values as Float32Array) : Int32Array.from(values as Int32Array);
    bytes = new Uint8Array(typed.buffer);
  }
  return { dtype, shape: [...t.shape], data: bytes };
}

/**
 * Checks a host array's fields and byte length; `where` names it in the error. The shape must be a list of
 * integers in [0, MAX_TENSOR_ELEMENTS] whose product is at most MAX_TENSOR_ELEMENTS (so a 2^40 axis, or a
 * 64-bit integer that msgpack decodes to a BigInt, is refused here rather than deep inside tfjs or JSON).
 */
export function checkHostArray(a: unknown, where: string): HostArray {
  const o = a as HostArray;
  if (o === null || typeof o !== 'object' || !(o.data instanceof Uint8Array) || !Array.isArray(o.shape)) {
    throw new Error(`${where}: not an array record {dtype, shape, data}`);
  }
  const axis = (d: unknown): boolean => typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_TENSOR_ELEMENTS;
  if (!o.shape.every(axis)) throw new Error(`${where}: bad shape [${o.shape.map(String)}]: expected integers in [0, ${MAX_TENSOR_ELEMENTS}]`);
  if (typeof o.dtype !== 'string') throw new Error(`${where}: dtype must be a string (f32, i32 or bool)`);
  const width = o.dtype === 'f32' || o.dtype === 'i32' ? 4 : o.dtype === 'bool' ? 1 : 0;
  if (width === 0) throw new Error(`${where}: unknown dtype ${JSON.stringify(o.dtype).slice(0, 40)} (expected f32, i32 or bool)`);
  const size = o.shape.reduce((n, d) => n * d, 1);
  if (size > MAX_TENSOR_ELEMENTS) throw new Error(`${where}: shape [${o.shape}] declares ${size} elements, more than ${MAX_TENSOR_ELEMENTS}`);
  if (o.data.byteLength !== size * width) {
    throw new Error(`${where}: ${o.data.byteLength} bytes do not fit shape [${o.shape}] of ${o.dtype}`);
  }
  return o;
}

/** The values of a host array as a typed array (a copy, aligned). */
export function hostArrayValues(a: HostArray): Float32Array | Int32Array | Uint8Array {
  assertLittleEndian();
  const copy = new Uint8Array(a.data); // a copy with its own, aligned buffer (Buffer#slice would be a view)
  if (a.dtype === 'f32') return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  if (a.dtype === 'i32') return new Int32Array(copy.buffer, 0, copy.byteLength / 4);
  return copy;
}

/** A new tensor from a host array; the caller owns it. */
export function hostArrayToTensor(a: HostArray): tf.Tensor {
  const dtype = a.dtype === 'f32' ? 'float32' : a.dtype === 'i32' ? 'int32' : 'bool';
  return tf.tensor(hostArrayValues(a), a.shape, dtype);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Plain-data copy of a nested value, tensors read to host arrays. Borrows the tensors.
 * Object properties that are `undefined` are dropped (as in JSON); functions, class instances other
 * than tensors, and keys starting with `$` are refused with an error naming the path.
 */
export function toHostTree(value: unknown, path = 'state'): HostTree {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    return value;
  }
  if (value instanceof tf.Tensor) return { [TENSOR_KEY]: tensorToHostArray(value) as unknown as HostTree };
  if (Array.isArray(value)) return value.map((v, i) => toHostTree(v, `${path}[${i}]`));
  if (isPlainObject(value)) {
    const out: Record<string, HostTree> = {};
    for (const key of Object.keys(value)) {
      if (key.startsWith('$')) throw new Error(`${path}.${key}: keys starting with "$" are reserved`);
      if (value[key] === undefined) continue;
      out[key] = toHostTree(value[key], `${path}.${key}`);
    }
    return out;
  }
  throw new Error(`${path}: cannot store a value of type ${typeof value} (${Object.prototype.toString.call(value)})`);
}

/** Rebuilds a value from a host tree; every tensor node becomes a new tensor owned by the caller. */
export function fromHostTree(tree: unknown, path = 'state'): unknown {
  if (tree === null || typeof tree === 'boolean' || typeof tree === 'number' || typeof tree === 'string') return tree;
  if (Array.isArray(tree)) return tree.map((v, i) => fromHostTree(v, `${path}[${i}]`));
  if (tree !== null && typeof tree === 'object') {
    const o = tree as Record<string, unknown>;
    if (TENSOR_KEY in o) return hostArrayToTensor(checkHostArray(o[TENSOR_KEY], path));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(o)) out[key] = fromHostTree(o[key], `${path}.${key}`);
    return out;
  }
  throw new Error(`${path}: unexpected ${typeof tree} in a stored state`);
}
