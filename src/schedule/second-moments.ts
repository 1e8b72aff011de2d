/**
 * Adam's second moments at the end of the probe, reduced Adafactor-style, and the fixed per-coordinate
 * preconditioner built from them (issue: static factored corrections).
 *
 * The probe ends at step t with Adam's v per tensor; v_hat = v / (1 - beta2^t) (bias corrected).
 * - a matrix (r, c):    R_i = mean_j v_hat_ij  (r values),  C_j = mean_i v_hat_ij  (c values),
 *                       reconstructed  v~_ij = R_i C_j / mean(R)      (mean(R) = mean(C) = mean(v_hat))
 * - any other tensor:   v_hat itself, flattened (biases, LayerNorm, cls.predictions.bias: vectors)
 * Stored: O(r + c) numbers per matrix.
 *
 * The preconditioner (applied by src/optim/precondition.ts):
 *   P_ij = 1 / sqrt(v~_ij + eps_T^2)   (vectors: 1 / sqrt(v_i + eps_T^2))
 *   eps_T = epsRatio * sqrt(typical v~ of tensor T),  typical = median(R) median(C) / mean(R)  (vectors: median(v)),
 * falling back to the mean and then to 1 when the median is 0 (a tensor without gradient). So no coordinate
 * gets more than 1/epsRatio times the preconditioning of a typical coordinate of its tensor, and P is finite.
 */
import { median } from './fit.js';

/** One tensor's summary: row and column means of v_hat (2-D tensors) or v_hat itself (other ranks). */
export type MomentFactors =
  | { rows: Float32Array; cols: Float32Array } // rows: (r), cols: (c)
  | { values: Float32Array }; // (size), row-major

/** The probe's second-moment summary, per parameter name. */
export interface SecondMoments {
  /** Adam's update count t at which v was read (the bias correction used 1 - beta2^t). */
  step: number;
  beta2: number;
  params: Record<string, MomentFactors>;
}

/** A factor set plus the absolute eps_T it is applied with. */
export type PreconditionerFactors = MomentFactors & { eps: number };

/** The artifact's fixed preconditioner: `kind` is "factored" (the only kind so far). */
export interface Preconditioner {
  kind: 'factored';
  /** eps_T / sqrt(typical v~ of T), the same for every tensor. */
  epsRatio: number;
  /** Adam's step count and beta2 at the probe end (provenance). */
  step: number;
  beta2: number;
  params: Record<string, PreconditionerFactors>;
}

/**
 * Reduces one tensor's bias-corrected second moment (row-major, `shape`) to its factors.
 * 2-D: row and column means, accumulated in float64; any other rank: a copy of the values.
 */
export function factorSecondMoment(vhat: ArrayLike<number>, shape: readonly number[]): MomentFactors {
  const size = shape.reduce((p, d) => p * d, 1);
  if (vhat.length !== size) throw new Error(`factorSecondMoment: shape [${shape}] holds ${size} values but got ${vhat.length}`);
  if (shape.length !== 2) return { values: Float32Array.from(vhat) };
  const [r, c] = shape;
  const rowSum = new Float64Array(r),
    colSum = new Float64Array(c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const v = vhat[i * c + j];
      rowSum[i] += v;
      colSum[j] += v;
    }
  }
  return { rows: Float32Array.from(rowSum, (s) => s / c), cols: Float32Array.from(colSum, (s) => s / r) };
}

/** Number of stored factor values: r + c for a matrix, the size otherwise. */
export function factorCount(f: MomentFactors): number {
  return 'rows' in f ? f.rows.length + f.cols.length : f.values.length;
}

function meanOf(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length > 0 ? s / a.length : 0;
}

/** The typical reconstructed v~ of a tensor: median(R) median(C) / mean(R), or median(v) (see the file comment). */
export function typicalSecondMoment(f: MomentFactors): number {
  if ('values' in f) {
    const v = Array.from(f.values);
    return positiveOr(median(v), meanOf(v));
  }
  const meanR = meanOf(f.rows);
  if (!(meanR > 0)) return 1;
  const typical = (median(Array.from(f.rows)) * median(Array.from(f.cols))) / meanR;
  return positiveOr(typical, meanR);
}

function positiveOr(x: number, fallback: number): number {
  if (x > 0 && Number.isFinite(x)) return x;
  return fallback > 0 && Number.isFinite(fallback) ? fallback : 1;
}

/** Builds the preconditioner: eps_T = epsRatio * sqrt(typical v~ of T) for every tensor. */
export function buildPreconditioner(moments: SecondMoments, epsRatio: number): Preconditioner {
  if (!(epsRatio > 0 && Number.isFinite(epsRatio)))
    throw new Error(`preconditioner eps ratio ${epsRatio} is invalid: expected a finite number > 0`);
  const params: Record<string, PreconditionerFactors> = {};
  for (const name of Object.keys(moments.params).sort()) {
    const f = moments.params[name];
    params[name] = { ...f, eps: epsRatio * Math.sqrt(typicalSecondMoment(f)) };
  }
  return { kind: 'factored', epsRatio, step: moments.step, beta2: moments.beta2, params };
}

/** max P / min P of a tensor (how much the preconditioner reshapes it; 1 = a uniform scale). */
export function preconditionerSpread(f: PreconditionerFactors): number {
  const minMax = (a: Float32Array) => {
    let lo = Infinity,
      hi = -Infinity;
    for (const v of a) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return [lo, hi];
  };
  const eps2 = f.eps * f.eps;
  let vLo: number, vHi: number;
  if ('values' in f) [vLo, vHi] = minMax(f.values);
  else {
    const meanR = meanOf(f.rows);
    const [rLo, rHi] = minMax(f.rows),
      [cLo, cHi] = minMax(f.cols);
    vLo = meanR > 0 ? (rLo * cLo) / meanR : 0;
    vHi = meanR > 0 ? (rHi * cHi) / meanR : 0;
  }
  return Math.sqrt((vHi + eps2) / (vLo + eps2));
}
