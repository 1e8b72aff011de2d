/**
 * Small, pure numerical helpers for compression: quantiles, robust means, and least-squares fits of
 * piecewise-linear functions (in log space, these are the log-linear schedules multiplierAt evaluates).
 */

/**
 * Quantile q in [0, 1] of `xs` with linear interpolation between order statistics
 * (numpy's default, "type 7"): position h = (n - 1) q, value = x[floor h] + (h - floor h)(x[ceil h] - x[floor h]).
 * `xs` need not be sorted. Throws on an empty list.
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new Error('quantile of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h),
    hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Mean after dropping floor(trim * n) values from each end of the sorted list. */
export function trimmedMean(xs: readonly number[], trim: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(trim * s.length);
  return mean(s.slice(k, s.length - k));
}

/** `k` evenly spaced knots from a to b inclusive (one knot if a == b). */
export function knotGrid(a: number, b: number, k: number): number[] {
  if (!(b > a) || k < 2) return [a];
  return Array.from({ length: k }, (_, i) => (i === k - 1 ? b : a + ((b - a) * i) / (k - 1)));
}

/** Value at x of the piecewise-linear function through (knots[i], values[i]), held constant outside. */
export function piecewiseLinearAt(knots: readonly number[], values: readonly number[], x: number): number {
  const k = knots.length;
  if (x <= knots[0]) return values[0];
  if (x >= knots[k - 1]) return values[k - 1];
  let i = 0;
  while (knots[i + 1] < x) i++;
  const w = (x - knots[i]) / (knots[i + 1] - knots[i]);
  return values[i] + w * (values[i + 1] - values[i]);
}

/**
 * Least-squares fit of a piecewise-linear function with the given knots to points (xs[i], ys[i]):
 *
 *   minimise  sum_i (ys[i] - sum_k v_k phi_k(xs[i]))^2  +  lambda * sum_k (v_{k+1} - v_k)^2
 *
 * where phi_k are the "hat" functions (1 at knot k, 0 at its neighbours, linear between; held flat
 * outside the knot range). The tiny ridge on first differences (lambda = 1e-9 * n by default) only
 * matters for knots with no nearby data, which it sets between their neighbours. Returns v (length K).
 */
export function fitPiecewiseLinear(
  knots: readonly number[],
  xs: readonly number[],
  ys: readonly number[],
  lambda = 1e-9 * Math.max(xs.length, 1),
): number[] {
  const K = knots.length;
  if (K === 1) return [mean(ys)];
  const A = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  const b = new Array<number>(K).fill(0);
  for (let i = 0; i < xs.length; i++) {
    const [k, w] = segment(knots, xs[i]); // phi_k = 1 - w, phi_{k+1} = w
    const phi: [number, number][] = [
      [k, 1 - w],
      [k + 1, w],
    ];
    for (const [p, fp] of phi) {
      b[p] += fp * ys[i];
      for (const [q, fq] of phi) A[p][q] += fp * fq;
    }
  }
  for (let k = 0; k + 1 < K; k++) {
    A[k][k] += lambda;
    A[k + 1][k + 1] += lambda;
    A[k][k + 1] -= lambda;
    A[k + 1][k] -= lambda;
  }
  return solveSymmetric(A, b);
}

/** Segment index k (knots[k] <= x <= knots[k+1], clamped to the range) and the weight w of knot k+1. */
function segment(knots: readonly number[], x: number): [number, number] {
  const K = knots.length;
  if (x <= knots[0]) return [0, 0];
  if (x >= knots[K - 1]) return [K - 2, 1];
  let k = 0;
  while (knots[k + 1] < x) k++;
  return [k, (x - knots[k]) / (knots[k + 1] - knots[k])];
}

/** Solves A v = b by Gaussian elimination with partial pivoting (A small, K x K). Copies its inputs. */
export function solveSymmetric(A0: readonly number[][], b0: readonly number[]): number[] {
  const n = b0.length;
  const A = A0.map((r) => [...r]);
  const b = [...b0];
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    if (A[p][c] === 0) throw new Error('fitPiecewiseLinear: singular system (no data and no ridge)');
    [A[c], A[p]] = [A[p], A[c]];
    [b[c], b[p]] = [b[p], b[c]];
    for (let r = c + 1; r < n; r++) {
      const f = A[r][c] / A[c][c];
      for (let j = c; j < n; j++) A[r][j] -= f * A[c][j];
      b[r] -= f * b[c];
    }
  }
  const v = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < n; j++) s -= A[r][j] * v[j];
    v[r] = s / A[r][r];
  }
  return v;
}
