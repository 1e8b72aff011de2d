/**
 * The lean probe's magnitude: Adam with its second moment kept factored (Adafactor's row and column
 * statistics), grafted onto SGD's direction in typed-array loops on the host arrays, in place. Beside
 * host-adam.ts, which keeps v whole.
 *
 * With t = count + 1, gc = f g (f: the clipping factor, 1 without clipping), per tensor:
 *   matrix (r, c):  R = b2 R + (1 - b2) rowMean(gc^2)   (r)     C = b2 C + (1 - b2) colMean(gc^2)   (c)
 *                   v~_ij = R_i C_j / mean(R)                   (mean(R) = mean(C); v~ = 0 when mean(R) = 0)
 *   other ranks:    v = b2 v + (1 - b2) gc^2                    (kept whole: biases, LayerNorm, vectors)
 *   first moment:   m = b1 m + (1 - b1) gc  with 'factored-adam';  m = gc (b1 = 0, nothing kept) with 'factored-rms';
 *                   with 'factored-adam-bf16' m is stored rounded to bfloat16 (src/core/bf16.ts) after each update,
 *                   and u reads the stored value
 *   u = lr (m / (1 - b1^t)) / (sqrt(v~ / (1 - b2^t)) + eps)
 * then, per group G: nM = ||u[G]||, nG = ||gc[G]|| (float64 sums), w = w - (nM / nG) gc (nothing when nG = 0).
 *
 * Because a row mean of an average is the average of the row means, R and C are exactly the row and column
 * means of the v that full Adam would hold on the same gradients: the factors the artifact's preconditioner
 * stores (src/schedule/second-moments.ts) come straight from this state, bias corrected
 * (src/run/probe/second-moments.ts factoredSecondMoments). When v is rank one (e.g.
 * every step's gc^2 a multiple of one rank-one matrix), v~ = v and the step equals Adam's.
 *
 * State: O(r + c) per matrix and the vectors (factored-rms), plus one m per parameter (factored-adam: 4 bytes,
 * factored-adam-bf16: 2 bytes), against Adam's 2 x params (8 bytes).
 */
import { fromBf16, toBf16 } from '../../core/bf16.js';
import type { HostParams } from '../../core/params.js';
import type { AdamHyper } from './step-graph.js';
import type { GraftGroupNorms } from './step-trainer.js';

/** The probe's magnitude optimizers: full Adam, Adam with factored v, factored v without a first moment. */
export const MAGNITUDES = ['adam', 'factored-adam', 'factored-adam-bf16', 'factored-rms'] as const;
export type Magnitude = (typeof MAGNITUDES)[number];

/** How a factored magnitude keeps its first moment: float32, bfloat16, or not at all (b1 = 0). */
export type FirstMoment = 'f32' | 'bf16' | 'none';

export function firstMomentOf(magnitude: Exclude<Magnitude, 'adam'>): FirstMoment {
  return magnitude === 'factored-adam' ? 'f32' : magnitude === 'factored-adam-bf16' ? 'bf16' : 'none';
}

export function isMagnitude(x: unknown): x is Magnitude {
  return typeof x === 'string' && (MAGNITUDES as readonly string[]).includes(x);
}

/** One tensor's second-moment state: row and column EMAs (matrices, float64) or the whole EMA (others). */
export type FactoredSecondMoment =
  | { rows: Float64Array; cols: Float64Array } // rows: (r), cols: (c)
  | { values: Float32Array }; // (size)

export interface FactoredMoments {
  count: number;
  /** The first moment per parameter (bfloat16 bit patterns in a Uint16Array for 'factored-adam-bf16'); absent for 'factored-rms' (b1 = 0). */
  m?: Record<string, Float32Array | Uint16Array>;
  v: Record<string, FactoredSecondMoment>;
}

/** Zeroed state for these shapes, with m as `firstMoment` says. */
export function initialFactoredMoments(shapes: Readonly<Record<string, readonly number[]>>, firstMoment: FirstMoment): FactoredMoments {
  const names = Object.keys(shapes);
  const sizeOf = (n: string) => shapes[n].reduce((p, d) => p * d, 1);
  const v: Record<string, FactoredSecondMoment> = {};
  for (const name of names) {
    const s = shapes[name];
    v[name] = s.length === 2 ? { rows: new Float64Array(s[0]), cols: new Float64Array(s[1]) } : { values: new Float32Array(sizeOf(name)) };
  }
  const zeros = (n: string) => (firstMoment === 'bf16' ? new Uint16Array(sizeOf(n)) : new Float32Array(sizeOf(n))); // bf16 0 = 0x0000
  const m = firstMoment === 'none' ? undefined : Object.fromEntries(names.map((n) => [n, zeros(n)]));
  return { count: 0, ...(m ? { m } : {}), v };
}

/** Bytes the state holds: 4 per m entry (2 in bfloat16) and vector v entry, 8 per row/column statistic. */
export function factoredStateBytes(state: FactoredMoments): number {
  let bytes = 0;
  for (const m of Object.values(state.m ?? {})) bytes += m.byteLength;
  for (const v of Object.values(state.v)) bytes += 'rows' in v ? v.rows.byteLength + v.cols.byteLength : v.values.byteLength;
  return bytes;
}

/**
 * The probe's optimizer state in bytes for a model of these shapes, without allocating it: adam 8 per value;
 * the factored ones as factoredStateBytes (8 per row/column statistic, 4 per vector entry, 4 per m entry, 2 in bfloat16).
 */
export function probeStateBytes(shapes: Readonly<Record<string, readonly number[]>>, magnitude: Magnitude): number {
  let bytes = 0;
  for (const s of Object.values(shapes)) {
    const size = s.reduce((p, d) => p * d, 1);
    if (magnitude === 'adam') bytes += 8 * size;
    else bytes += (s.length === 2 ? 8 * (s[0] + s[1]) : 4 * size) + { f32: 4, bf16: 2, none: 0 }[firstMomentOf(magnitude)] * size;
  }
  return bytes;
}

export interface FactoredGraftStep {
  /** Each group's parameters. */
  members: ReadonlyMap<string, readonly string[]>;
  /** Each parameter's learning rate at this step. */
  lr: Readonly<Record<string, number>>;
  /** The clipping factor f applied to every gradient (1: none). */
  clipFactor: number;
  /** Adam's hyperparameters; beta1 is ignored without a first moment. */
  hyper: AdamHyper;
}

/**
 * One grafted step in place (see the file comment). Advances `state.count`. Returns the graft norms per
 * group. The gradients must be finite (the caller checks first).
 */
export function factoredGraftStepInPlace(
  params: HostParams,
  grads: Readonly<Record<string, Float32Array>>,
  state: FactoredMoments,
  o: FactoredGraftStep,
): Record<string, GraftGroupNorms> {
  const { beta1: b1, beta2: b2, eps } = o.hyper;
  const t = state.count + 1;
  const f = o.clipFactor;
  const inverseC1 = state.m ? 1 / (1 - b1 ** t) : 1;
  const inverseC2 = 1 / (1 - b2 ** t);
  const norms: Record<string, GraftGroupNorms> = {};
  for (const [group, names] of o.members) {
    let uSq = 0,
      gSq = 0;
    for (const name of names) {
      const g = grads[name];
      const shape = params[name].shape;
      updateSecondMoment(state.v[name], g, shape, f, b2);
      const m = state.m?.[name];
      if (m instanceof Uint16Array) for (let i = 0; i < g.length; i++) m[i] = toBf16(b1 * fromBf16(m[i]) + (1 - b1) * f * g[i]);
      else if (m) for (let i = 0; i < g.length; i++) m[i] = b1 * m[i] + (1 - b1) * f * g[i];
      const scale = o.lr[name] * inverseC1;
      // u_k = scale m_k / (sqrt(v~_k / c2) + eps), with m_k = gc_k without a first moment
      const sums = stepSquares(g, m, state.v[name], shape, f, scale, inverseC2, eps);
      uSq += sums[0];
      gSq += sums[1];
    }
    const nM = Math.sqrt(uSq),
      nG = Math.sqrt(gSq);
    norms[group] = { magnitude: nM, grad: nG };
    if (!(nG > 0)) continue;
    const scale = (nM / nG) * f; // w -= (nM / nG) gc, gc = f g
    for (const name of names) {
      const w = params[name].data,
        g = grads[name];
      for (let i = 0; i < w.length; i++) w[i] -= scale * g[i];
    }
  }
  state.count = t;
  return norms;
}

/** R, C (matrices) or v (others) <- b2 * old + (1 - b2) * (statistics of gc^2). */
function updateSecondMoment(v: FactoredSecondMoment, g: Float32Array, shape: readonly number[], f: number, b2: number): void {
  const a2 = 1 - b2,
    f2 = f * f;
  if ('values' in v) {
    for (let i = 0; i < g.length; i++) v.values[i] = b2 * v.values[i] + a2 * f2 * g[i] * g[i];
    return;
  }
  const [r, c] = shape;
  const colSum = new Float64Array(c);
  for (let i = 0; i < r; i++) {
    let rowSum = 0;
    for (let j = 0; j < c; j++) {
      const sq = g[i * c + j] * g[i * c + j];
      rowSum += sq;
      colSum[j] += sq;
    }
    v.rows[i] = b2 * v.rows[i] + a2 * f2 * (rowSum / c);
  }
  for (let j = 0; j < c; j++) v.cols[j] = b2 * v.cols[j] + a2 * f2 * (colSum[j] / r);
}

/** [sum of u^2, sum of gc^2] in float64 for one tensor (u as in the file comment). */
function stepSquares(
  g: Float32Array,
  m: Float32Array | Uint16Array | undefined,
  v: FactoredSecondMoment,
  shape: readonly number[],
  f: number,
  scale: number,
  inverseC2: number,
  eps: number,
): [number, number] {
  let uSq = 0,
    gSq = 0;
  const bf16 = m instanceof Uint16Array;
  const add = (k: number, vTilde: number) => {
    const gc = f * g[k];
    const mk = m === undefined ? gc : bf16 ? fromBf16(m[k]) : m[k];
    const u = (scale * mk) / (Math.sqrt(vTilde * inverseC2) + eps);
    uSq += u * u;
    gSq += gc * gc;
  };
  if ('values' in v) {
    for (let k = 0; k < g.length; k++) add(k, v.values[k]);
    return [uSq, gSq];
  }
  const [r, c] = shape;
  const meanR = mean(v.rows);
  for (let i = 0; i < r; i++) {
    const rowScale = meanR > 0 ? v.rows[i] / meanR : 0; // v~_ij = (R_i / mean(R)) C_j
    for (let j = 0; j < c; j++) add(i * c + j, rowScale * v.cols[j]);
  }
  return [uSq, gSq];
}

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length > 0 ? s / a.length : 0;
}
