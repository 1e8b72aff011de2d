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
import type { HostParams } from '../../core/params.js';
import type { AdamHyper } from './step-graph.js';
import type { AdamMoments, GraftGroupNorms } from './step-trainer.js';

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
  params: HostParams,
  grads: Readonly<Record<string, Float32Array>>,
  moments: AdamMoments,
  o: HostAdamStep,
): Record<string, GraftGroupNorms> {
  const { beta1: b1, beta2: b2, eps } = o.hyper;
  const t = moments.count + 1;
  // Per element: m and v updated, then u = rate m / c1 / (sqrt(v / c2) + eps) with the divisions by the bias
  // corrections turned into products (one division per element is left).
  const c = { b1, b2, eps, a1: 1 - b1, a2: 1 - b2, inverseC1: 1 / (1 - b1 ** t), inverseC2: 1 / (1 - b2 ** t), f: o.clipFactor };
  const norms: Record<string, GraftGroupNorms> = {};
  for (const [group, names] of o.members) {
    if (o.rule === 'adam') {
      for (const name of names)
        adamInPlace(params[name].data, grads[name], moments.m[name].data, moments.v[name].data, o.lr[name], 1 - (o.decay?.[name] ?? 0), c);
      continue;
    }
    let uSq = 0,
      gSq = 0;
    for (const name of names) {
      const [u2, g2] = momentsAndNorms(grads[name], moments.m[name].data, moments.v[name].data, o.lr[name], c);
      uSq += u2;
      gSq += g2;
    }
    const nM = Math.sqrt(uSq),
      nG = Math.sqrt(gSq);
    norms[group] = { magnitude: nM, grad: nG };
    if (!(nG > 0)) continue;
    const scale = (nM / nG) * c.f; // w -= (nM / nG) gc, gc = f g
    for (const name of names) {
      const w = params[name].data,
        g = grads[name];
      for (let i = 0; i < w.length; i++) w[i] -= scale * g[i];
    }
  }
  moments.count = t;
  return norms;
}

interface AdamConstants {
  b1: number;
  b2: number;
  eps: number;
  a1: number;
  a2: number;
  inverseC1: number;
  inverseC2: number;
  f: number;
}

/** Adam on one tensor in place: m, v, then w = w keep - u. */
function adamInPlace(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  rate: number,
  keep: number,
  c: AdamConstants,
): void {
  const scale = rate * c.inverseC1;
  for (let i = 0; i < g.length; i++) {
    const gi = c.f * g[i];
    const mi = (m[i] = c.b1 * m[i] + c.a1 * gi);
    const vi = (v[i] = c.b2 * v[i] + c.a2 * gi * gi);
    w[i] = w[i] * keep - (scale * mi) / (Math.sqrt(vi * c.inverseC2) + c.eps);
  }
}

/** The moments of one tensor in place; returns [sum of u^2, sum of gc^2] in float64. */
function momentsAndNorms(g: Float32Array, m: Float32Array, v: Float32Array, rate: number, c: AdamConstants): [number, number] {
  const scale = rate * c.inverseC1;
  let uSq = 0,
    gSq = 0;
  for (let i = 0; i < g.length; i++) {
    const gi = c.f * g[i];
    const mi = (m[i] = c.b1 * m[i] + c.a1 * gi);
    const vi = (v[i] = c.b2 * v[i] + c.a2 * gi * gi);
    const u = (scale * mi) / (Math.sqrt(vi * c.inverseC2) + c.eps);
    uSq += u * u;
    gSq += gi * gi;
  }
  return [uSq, gSq];
}
