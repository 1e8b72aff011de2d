/**
 * Adam and Adam#SGD grafting in typed-array loops: onnxruntime computes loss and gradients (the gradient
 * graph), and the update runs here on the host arrays, in place. This is one side of a choice measured at
 * BERT-base (README, "Memory"): the step graph (step-graph.ts, rules 'adam' and 'graft') updates
 * parameters and moments inside the run, but onnxruntime-node hands back a fresh copy of every output of a
 * run, so there the parameters and both moments are copied once per step; here only the gradients are.
 *
 * With t = count + 1, gradient g at the shared weights w, gc = f g (f = min(1, maxNorm / ||g||) with
 * clipping, else 1), per parameter:
 *   m = b1 m + (1 - b1) gc ;  v = b2 v + (1 - b2) gc^2                 (in place, stored as float32)
 *   u = lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)             Adam's step
 * then
 *   adam:   w = w (1 - decay) - u                                        (AdamW when decay = lr wd)
 *   graft:  per group G, nM = ||u[G]||, nG = ||gc[G]|| (float64 sums),
 *           w = w - (nM / nG) gc   (nothing when nG = 0)                 plain SGD's direction, Adam's length
 * The graft is graft(adam(lr), sgd(lr)): nD = lr nG and u_D = -lr gc, so (nM / nD) u_D = -(nM / nG) gc.
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

export interface HostAdamStep {
  rule: 'adam' | 'graft';
  /** Each group's parameters (graft); for adam any partition (the groups only order the loops). */
  members: ReadonlyMap<string, readonly string[]>;
  /** Each parameter's learning rate at this step. */
  lr: Readonly<Record<string, number>>;
  /** Each parameter's decoupled decay at this step (adam only). */
  decay?: Readonly<Record<string, number>>;
  /** The clipping factor f applied to every gradient (1: none). */
  clipFactor: number;
  hyper: AdamHyper;
}

/**
 * One step in place (see the file comment). Advances `moments.count`. Returns the graft norms per group
 * ({} for adam). The gradients must be finite (the caller checks first: nothing here can be undone).
 */
export function adamStepInPlace(
  params: HostParams, grads: Readonly<Record<string, Float32Array>>, moments: AdamMoments, o: HostAdamStep,
): Record<string, GraftGroupNorms> {
  const { beta1: b1, beta2: b2, eps } = o.hyper;
  const t = moments.count + 1;
  const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t, f = o.clipFactor;
  const norms: Record<string, GraftGroupNorms> = {};
  for (const [group, names] of o.members) {
    let uSq = 0, gSq = 0;
    for (const name of names) {
      const g = grads[name], m = moments.m[name].data, v = moments.v[name].data, w = params[name].data, rate = o.lr[name];
      const keep = 1 - (o.decay?.[name] ?? 0);
      for (let i = 0; i < g.length; i++) {
        const gi = f * g[i];
        const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
        const u = (rate * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
        if (o.rule === 'adam') {
          w[i] = w[i] * keep - u;
        } else {
          uSq += u * u;
          gSq += gi * gi;
        }
      }
    }
    if (o.rule === 'adam') continue;
    const nM = Math.sqrt(uSq), nG = Math.sqrt(gSq);
    norms[group] = { magnitude: nM, grad: nG };
    if (!(nG > 0)) continue;
    const scale = (nM / nG) * f;
    for (const name of names) {
      const w = params[name].data, g = grads[name];
      for (let i = 0; i < w.length; i++) w[i] -= scale * g[i];
    }
  }
  moments.count = t;
  return norms;
}
