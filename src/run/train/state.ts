/**
 * Host copies of nested optimizer states (and anything else made of tensors, numbers and strings).
 *
 * An optimizer state is any nested value: plain objects, arrays, numbers, strings, booleans, null and
 * tfjs tensors (Adam: {m, v, count}; graft: {magnitude, direction, count, norms}). `toHostTree` turns it
 * into plain data with every tensor replaced by a host array node, so it can be msgpack-encoded;
 * `fromHostTree` rebuilds the value with fresh tensors. The round trip is bit-exact.
 */
import * as tf from '@tensorflow/tfjs-core';
import { arrayValues, borrowArray, checkPackedArray, MAX_ELEMENTS, type PackedArray } from '../../formats/array-codec.js';
import { isPlainObject } from '../../formats/canonical.js';

/** A tensor as an array-codec record (src/formats/array-codec.ts): little-endian, row-major; dtype f32, i32 or bool. */
export type HostArray = PackedArray<TensorDType>;
type TensorDType = 'f32' | 'i32' | 'bool';
const TENSOR_DTYPES: readonly TensorDType[] = ['f32', 'i32', 'bool'];

/** Marker key of a tensor node inside a host tree: `{ $tensor: HostArray }`. */
export const TENSOR_KEY = '$tensor';

/** The most elements (and the longest axis) a stored tensor may declare (array-codec.ts). */
export const MAX_TENSOR_ELEMENTS = MAX_ELEMENTS;

export type HostTree = null | boolean | number | string | HostTree[] | { [key: string]: HostTree };

const SHORT: Record<string, TensorDType> = { float32: 'f32', int32: 'i32', bool: 'bool' };

/** Copies a tensor's values into little-endian bytes. Borrows the tensor (reads it synchronously). */
export function tensorToHostArray(t: tf.Tensor): HostArray {
  const dtype = SHORT[t.dtype];
  if (dtype === undefined) throw new Error(`cannot store a tensor of dtype ${t.dtype}: expected float32, int32 or bool`);
  const values = t.dataSync();
  // A copy (dataSync may hand out the backend's own storage), then recorded without a second copy.
  let own: Float32Array | Int32Array | Uint8Array;
  if (dtype === 'f32') own = Float32Array.from(values as Float32Array);
  else if (dtype === 'i32') own = Int32Array.from(values as Int32Array);
  else own = Uint8Array.from(values as Uint8Array);
  return borrowArray(own, t.shape, dtype) as HostArray;
}

/** Checks a host array's fields and byte length (array-codec.ts checkPackedArray); `where` names it in the error. */
export function checkHostArray(a: unknown, where: string): HostArray {
  return checkPackedArray(a, where, TENSOR_DTYPES);
}

/** The values of a host array as a typed array (a copy, aligned). */
export function hostArrayValues(a: HostArray): Float32Array | Int32Array | Uint8Array {
  return arrayValues(a) as Float32Array | Int32Array | Uint8Array;
}

/** A new tensor from a host array; the caller owns it. */
export function hostArrayToTensor(a: HostArray): tf.Tensor {
  const dtype = a.dtype === 'f32' ? 'float32' : a.dtype === 'i32' ? 'int32' : 'bool';
  return tf.tensor(hostArrayValues(a), a.shape, dtype);
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
