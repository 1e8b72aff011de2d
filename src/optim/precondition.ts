/**
 * A fixed per-coordinate preconditioner from factored second moments (Adafactor-style factors frozen at
 * the end of a probe; see src/schedule/second-moments.ts). Stateless:
 *
 *   matrix (r, c) with row factors R (r) and column factors C (c):
 *     v~_ij = R_i C_j / mean(R),   P_ij = 1 / sqrt(v~_ij + eps^2),   u_ij = P_ij g_ij
 *   any other tensor with values v (its size):
 *     P_i = 1 / sqrt(v_i + eps^2),  u_i = P_i g_i
 *
 * P is rebuilt from the factors inside every update (O(size) work, like the update itself) and freed at
 * once, so nothing lives between steps: the state is empty and holds 0 bytes. The factors are constants
 * of the schedule, O(r + c) numbers per matrix, not optimizer state.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidyUpdate, type Optimizer } from './base.js';
import type { EmptyState } from './transforms.js';

/** One tensor's factors and the eps it is applied with (eps > 0 keeps P finite). */
export type CoordinateFactors = { rows: Float32Array; cols: Float32Array; eps: number } | { values: Float32Array; eps: number };

/** Per tensor, what the update needs: normalised row factors R / mean(R) (matrices), or values. */
export type PreparedFactors =
  { kind: 'matrix'; rowsOverMean: Float32Array; cols: Float32Array; eps2: number } | { kind: 'vector'; values: Float32Array; eps2: number };
type Prepared = PreparedFactors;

/** Checks one tensor's factors and normalises them for the update (R / mean(R), eps^2); `op` names the caller in errors. */
export function prepareFactors(name: string, f: CoordinateFactors, op: string): Prepared {
  if (!(f.eps > 0 && Number.isFinite(f.eps))) throw new Error(`${op}: eps of ${name} = ${f.eps} is invalid: expected a finite number > 0`);
  const eps2 = f.eps * f.eps;
  if ('values' in f) return { kind: 'vector', values: f.values, eps2 };
  let sum = 0;
  for (const v of f.rows) sum += v;
  const meanR = f.rows.length > 0 ? sum / f.rows.length : 0;
  // A tensor whose moments are all zero gets v~ = 0, so P = 1 / eps everywhere (a uniform scale).
  const rowsOverMean = Float32Array.from(f.rows, (v) => (meanR > 0 ? v / meanR : 0));
  return { kind: 'matrix', rowsOverMean, cols: f.cols, eps2 };
}

/** Throws naming the tensor when its factors do not fit `shape` (a schedule made for another model). */
export function checkFactorsFit(name: string, p: PreparedFactors, shape: readonly number[], op: string): void {
  if (p.kind === 'vector') {
    const size = shape.reduce((a, d) => a * d, 1);
    if (size !== p.values.length)
      throw new Error(`${op}: ${name} has ${size} values but its factors have ${p.values.length}: use a schedule made for this model`);
    return;
  }
  const [r, c] = [p.rowsOverMean.length, p.cols.length];
  if (shape.length !== 2 || shape[0] !== r || shape[1] !== c) {
    throw new Error(`${op}: ${name} has shape [${shape}] but its factors are for [${r},${c}]: use a schedule made for this model`);
  }
}

/**
 * The preconditioner of one tensor as a flat row-major array (for tests, export checks and small tensors;
 * training computes it on the fly from the factors): P = 1 / sqrt(v~ + eps^2).
 */
export function preconditionerValues(f: CoordinateFactors): Float64Array {
  const eps2 = f.eps * f.eps;
  if ('values' in f) return Float64Array.from(f.values, (v) => 1 / Math.sqrt(v + eps2));
  let sum = 0;
  for (const v of f.rows) sum += v;
  const meanR = f.rows.length > 0 ? sum / f.rows.length : 0;
  const r = f.rows.length,
    c = f.cols.length;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) out[i * c + j] = 1 / Math.sqrt((meanR > 0 ? (f.rows[i] * f.cols[j]) / meanR : 0) + eps2);
  }
  return out;
}

/** P for one tensor of shape `shape` (new tensor; call inside a tidy). */
function preconditionerTensor(name: string, p: Prepared, shape: number[], op: string): tf.Tensor {
  checkFactorsFit(name, p, shape, op);
  if (p.kind === 'vector') return tf.rsqrt(tf.add(tf.tensor(p.values, shape), p.eps2)); // shape
  const [r, c] = [p.rowsOverMean.length, p.cols.length];
  const vTilde = tf.mul(tf.tensor2d(p.rowsOverMean, [r, 1]), tf.tensor2d(p.cols, [1, c])); // (r, c)
  return tf.rsqrt(tf.add(vTilde, p.eps2)); // (r, c)
}

/**
 * u[n] = P[n] * g[n] for every tensor n (see the file comment). Every gradient needs factors: a name
 * without them throws. Borrows the gradients and returns new tensors; the state is empty.
 */
export function scaleByFactoredPreconditioner(
  factors: Readonly<Record<string, CoordinateFactors>>,
  op = 'scaleByFactoredPreconditioner',
): Optimizer<EmptyState> {
  const prepared = new Map(Object.entries(factors).map(([name, f]) => [name, prepareFactors(name, f, op)]));
  return {
    spec: { name: 'scaleByFactoredPreconditioner', tensors: prepared.size },
    init: () => ({}),
    update: (grads, state) =>
      tidyUpdate([grads], () => {
        const out: Record<string, tf.Tensor> = {};
        for (const [name, g] of Object.entries(grads)) {
          const p = prepared.get(name);
          if (!p) throw new Error(`${op}: no preconditioner factors for "${name}": use a schedule made for this model`);
          out[name] = tf.mul(g, preconditionerTensor(name, p, g.shape, op));
        }
        return [out, state];
      }),
  };
}
