/**
 * Adam#SGD grafting in typed-array loops, for the probe: onnxruntime computes loss and gradients (the
 * gradient graph), and the update runs here on the host arrays, in place. It is the other half of a
 * choice measured at BERT-base (README, "Memory"): the step graph (step-graph.ts, rule 'graft') updates
 * parameters and moments inside the run, but onnxruntime-node hands back a fresh copy of every output of
 * a run, so there the parameters and both moments are copied once per step; here only the gradients are.
 *
 * Per group G (per tensor by default), with t = count + 1 and gradient g at the shared weights w:
 *   m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2                    (in place, stored as float32)
 *   u = lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)              Adam's step, never stored
 *   nM = ||u[G]|| ,  nG = ||g[G]||                                      float64 sums
 *   w  = w - (nM / nG) g    (nothing when nG = 0)                        plain SGD's direction, Adam's length
 * which is graft(adam(lr), sgd(lr)): nD = lr nG and u_D = -lr g, so (nM / nD) u_D = -(nM / nG) g.
 */
import type { HostParams } from '../../params.js';
import type { AdamHyper } from './step-graph.js';
import type { AdamMoments, GraftGroupNorms } from './step-trainer.js';

/** Sum of squares in float64; NaN or Infinity when an entry is not finite. */
export function sumOfSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/**
 * One grafted step in place (see the file comment). `members` lists each group's parameters; `lr` gives
 * each parameter's rate (the probe's eta(t) for all). Advances `moments.count`. Returns the norms per group.
 * The gradients must be finite (the caller checks first: nothing here can be undone).
 */
export function graftStepInPlace(
  params: HostParams, grads: Readonly<Record<string, Float32Array>>, moments: AdamMoments,
  members: ReadonlyMap<string, readonly string[]>, lr: Readonly<Record<string, number>>, hyper: AdamHyper,
): Record<string, GraftGroupNorms> {
  const { beta1: b1, beta2: b2, eps } = hyper;
  const t = moments.count + 1;
  const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
  const norms: Record<string, GraftGroupNorms> = {};
  for (const [group, names] of members) {
    let uSq = 0, gSq = 0;
    for (const name of names) {
      const g = grads[name], m = moments.m[name].data, v = moments.v[name].data, rate = lr[name];
      for (let i = 0; i < g.length; i++) {
        const gi = g[i];
        const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
        const u = (rate * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
        uSq += u * u;
        gSq += gi * gi;
      }
    }
    const nM = Math.sqrt(uSq), nG = Math.sqrt(gSq);
    norms[group] = { magnitude: nM, grad: nG };
    if (!(nG > 0)) continue;
    const scale = nM / nG;
    for (const name of names) {
      const w = params[name].data, g = grads[name];
      for (let i = 0; i < w.length; i++) w[i] -= scale * g[i];
    }
  }
  moments.count = t;
  return norms;
}
