/**
 * Parameter maps: every tensor in the library is keyed by a stable dotted name
 * (e.g. `encoder.layer.0.attention.query.kernel`), never by position.
 */
import * as tf from '@tensorflow/tfjs-core';

/** name -> tensor. Functions say in their doc comment whether they borrow or consume the tensors. */
export type ParamMap = Readonly<Record<string, tf.Tensor>>;

/** Maps a parameter name to the name of its group (the unit of grafting). */
export type GroupOf = (paramName: string) => string;

/** The default, "layer-wise" grouping: one group per parameter tensor. */
export const perTensor: GroupOf = (name) => name;

/** One group for everything (global grafting). */
export const globalGroup: GroupOf = () => 'global';

/** Sorted parameter names: the canonical order wherever an order is needed (files, tables). */
export function paramNames(p: ParamMap): string[] {
  return Object.keys(p).sort();
}

/** Applies `fn` to every entry, keeping names. Borrows the input tensors. */
export function mapParams(p: ParamMap, fn: (t: tf.Tensor, name: string) => tf.Tensor): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const name of Object.keys(p)) out[name] = fn(p[name], name);
  return out;
}

/** Disposes every tensor of a map (consumes it). */
export function disposeParams(p: ParamMap): void {
  for (const t of Object.values(p)) t.dispose();
}

/** Number of scalar entries in all tensors of the map. */
export function countParams(p: ParamMap): number {
  let n = 0;
  for (const t of Object.values(p)) n += t.size;
  return n;
}

/**
 * Sum of squares of a tensor's entries, accumulated in float64 (JS numbers) so that
 * summing 1e6 float32 squares does not lose digits. Reads the tensor synchronously; borrows it.
 */
export function sumSquares64(t: tf.Tensor): number {
  const data = t.dataSync();
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return s;
}

/**
 * Frobenius norm per group: ||x[G]||_2 = sqrt(sum over tensors in G of sum of squares), in float64.
 * Borrows the tensors. Returns group name -> norm.
 */
export function groupNorms(p: ParamMap, groupOf: GroupOf): Record<string, number> {
  const squares: Record<string, number> = {};
  for (const name of Object.keys(p)) {
    const g = groupOf(name);
    squares[g] = (squares[g] ?? 0) + sumSquares64(p[name]);
  }
  const norms: Record<string, number> = {};
  for (const g of Object.keys(squares)) norms[g] = Math.sqrt(squares[g]);
  return norms;
}

/** Throws a clear error unless `a` and `b` have exactly the same names and shapes. */
export function assertSameStructure(a: ParamMap, b: ParamMap, what: [string, string]): void {
  const [nameA, nameB] = what;
  for (const name of Object.keys(a)) {
    if (!(name in b)) throw new Error(`parameter "${name}" is in ${nameA} but not in ${nameB}`);
    const sa = a[name].shape,
      sb = b[name].shape;
    if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
      throw new Error(`parameter "${name}" has shape [${sa}] in ${nameA} but [${sb}] in ${nameB}`);
    }
  }
  for (const name of Object.keys(b)) {
    if (!(name in a)) throw new Error(`parameter "${name}" is in ${nameB} but not in ${nameA}`);
  }
}

/** Parameters as plain host arrays (engine-neutral: checkpoints, ONNX, safetensors, onnxruntime). */
export type HostParams = Record<string, { shape: number[]; data: Float32Array }>;

/** Reads every tensor to host memory (a copy). Borrows the tensors. */
export function toHost(p: ParamMap): HostParams {
  const out: HostParams = {};
  for (const name of Object.keys(p)) {
    out[name] = { shape: [...p[name].shape], data: Float32Array.from(p[name].dataSync() as Float32Array) };
  }
  return out;
}

/** Makes float32 tensors from host arrays (copies); the caller owns them. */
export function fromHost(h: HostParams): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const name of Object.keys(h)) out[name] = tf.tensor(h[name].data, h[name].shape, 'float32');
  return out;
}
