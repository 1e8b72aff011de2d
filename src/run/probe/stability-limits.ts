/**
 * Each group's stability limit, measured once at the end of the probe: how long a step along the group's
 * plain SGD direction may be before it stops lowering the loss.
 *
 * For group G and each of k batches b (the k batches after the probe), at the probe's final weights w:
 *
 *   L0 = L_b(w),  g = grad L_b(w),  s = ||g[G]||,  d = g[G] / s       (unit descent direction inside G)
 *   alpha_G = Adam's step length at the peak lr = peakLr * ||u_Adam[G]|| / eta at the last recorded step
 *   L1 = L_b(w - alpha_G d)                                           (one forward pass; other groups fixed)
 *
 * Along d the loss is L_b(w - a d) = L0 - a s + a^2 h / 2 + O(a^3), so one probe length gives the curvature
 *
 *   h = 2 (L1 - L0 + alpha_G s) / alpha_G^2
 *
 * Pooled over the batches (means of s and h), the step lowers the loss while it is shorter than
 *
 *   limit_G = 2 s_G / h_G            (Infinity when h_G <= 0: no curvature seen at that length)
 *
 * This is the direction plain SGD takes; a preconditioned step (P * g) has its own curvature, which this does not
 * measure. Cost: k (G + 1) forward passes and k gradients, once.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../../data/batch.js';
import type { Engine } from '../../engine/types.js';
import type { HostLossModel } from '../../engine/ort/host-loss.js';
import { disposeParams, groupNorms, type GroupOf, type HostParams, type ParamMap } from '../../core/params.js';
import type { StabilityLimits } from '../../schedule/stability.js';

/**
 * Batches each limit is averaged over (the probe's next k): the probe's default (PROBE_SCHEMA), and what `compare`
 * asks for where a variant caps by curvature. 0 measures none.
 */
export const RECOMMENDED_STABILITY_BATCHES = 4;

export interface StabilityMeasureOptions {
  engine: Engine;
  /** The probe's final weights; borrowed. */
  params: ParamMap;
  /** The batches to measure on, and the step index of the first (seeds dropout). */
  batches: MlmBatch[];
  firstStep: number;
  /** Group names in trace column order, and the grouping that maps parameters to them. */
  groups: readonly string[];
  groupOf: GroupOf;
  /** alpha_G per group (same order); a group whose alpha is not finite and > 0 gets NaN everywhere. */
  stepLength: readonly number[];
}

/**
 * What the measurement needs of a model at the probe's final weights, for one batch: the loss L0, each group's
 * gradient norm s, and the loss after moving one group by -scale g[G] (the weights are as before afterwards).
 */
interface AtBatch {
  l0: number;
  norms: Record<string, number>;
  lossMoved(inGroup: (name: string) => boolean, scale: number): Promise<number>;
  release(): void;
}

/** The measurement loop (see the module comment), over any model that answers AtBatch. */
async function measure(
  o: Omit<StabilityMeasureOptions, 'engine' | 'params'>,
  at: (batch: MlmBatch, step: number) => Promise<AtBatch>,
): Promise<StabilityLimits> {
  const G = o.groups.length;
  const slopeSum = new Float64Array(G),
    curvatureSum = new Float64Array(G),
    counts = new Float64Array(G);
  for (let b = 0; b < o.batches.length; b++) {
    const here = await at(o.batches[b], o.firstStep + b);
    try {
      for (let g = 0; g < G; g++) {
        const s = here.norms[o.groups[g]] ?? 0;
        const alpha = o.stepLength[g];
        if (!(s > 0 && Number.isFinite(s) && alpha > 0 && Number.isFinite(alpha))) continue;
        const l1 = await here.lossMoved((name) => o.groupOf(name) === o.groups[g], alpha / s);
        slopeSum[g] += s;
        curvatureSum[g] += (2 * (l1 - here.l0 + alpha * s)) / (alpha * alpha);
        counts[g] += 1;
      }
    } finally {
      here.release();
    }
  }
  const slope = new Float64Array(G),
    curvature = new Float64Array(G),
    limit = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    slope[g] = counts[g] > 0 ? slopeSum[g] / counts[g] : NaN;
    curvature[g] = counts[g] > 0 ? curvatureSum[g] / counts[g] : NaN;
    limit[g] = counts[g] === 0 ? NaN : curvature[g] > 0 ? (2 * slope[g]) / curvature[g] : Infinity;
  }
  return { batches: o.batches.length, stepLength: Float64Array.from(o.stepLength), slope, curvature, limit };
}

/** Measures every group's limit on an engine over tfjs parameters (borrowed). */
export async function measureStabilityLimits(o: StabilityMeasureOptions): Promise<StabilityLimits> {
  return measure(o, async (batch, step) => {
    const { grads } = await o.engine.lossAndGrads(o.params, batch, step);
    return {
      l0: (await o.engine.evaluate(o.params, [batch])).loss,
      norms: groupNorms(grads, o.groupOf),
      async lossMoved(inGroup, scale) {
        // w[G] - scale g[G] as new tensors, every other tensor shared with the parameters.
        const moved: Record<string, tf.Tensor> = { ...o.params };
        const created: tf.Tensor[] = [];
        for (const name of Object.keys(o.params)) {
          if (inGroup(name)) created.push((moved[name] = tf.tidy(() => tf.sub(o.params[name], tf.mul(grads[name], scale)))));
        }
        try {
          return (await o.engine.evaluate(moved, [batch])).loss;
        } finally {
          for (const t of created) t.dispose();
        }
      },
      release: () => disposeParams(grads),
    };
  });
}

/**
 * The same on host arrays (the ort runtime's): a group is moved in place and put back from a copy of its own
 * values, so no second copy of the model exists. Borrows `params`; they hold their values again on return.
 */
export async function measureStabilityLimitsOnHost(
  o: Omit<StabilityMeasureOptions, 'engine' | 'params'> & { model: HostLossModel; params: HostParams },
): Promise<StabilityLimits> {
  return measure(o, async (batch, step) => {
    const { grads } = await o.model.lossAndGrads(o.params, batch, step);
    const squares: Record<string, number> = {};
    for (const [name, g] of Object.entries(grads)) {
      let sq = 0;
      for (let i = 0; i < g.length; i++) sq += g[i] * g[i]; // float64 sums
      squares[o.groupOf(name)] = (squares[o.groupOf(name)] ?? 0) + sq;
    }
    return {
      l0: await o.model.loss(o.params, batch),
      norms: Object.fromEntries(Object.entries(squares).map(([group, sq]) => [group, Math.sqrt(sq)])),
      async lossMoved(inGroup, scale) {
        const names = Object.keys(o.params).filter(inGroup);
        const saved = names.map((name) => Float32Array.from(o.params[name].data));
        try {
          for (const name of names) {
            const w = o.params[name].data,
              g = grads[name];
            for (let i = 0; i < w.length; i++) w[i] -= scale * g[i]; // w[G] - scale g[G]
          }
          return await o.model.loss(o.params, batch);
        } finally {
          names.forEach((name, k) => o.params[name].data.set(saved[k]));
        }
      },
      release: () => undefined,
    };
  });
}

/**
 * alpha_G from a trace's columns: peakLr * uAdamNorm / eta at the group's last valid sample (NaN without one).
 * uAdamNorm and valid are (n, G) row-major; eta is (n).
 */
export function peakStepLengths(t: { eta: Float64Array; uAdamNorm: Float64Array; valid: Uint8Array }, G: number, peakLr: number): number[] {
  const n = t.eta.length;
  return Array.from({ length: G }, (_, g) => {
    for (let i = n - 1; i >= 0; i--) if (t.valid[i * G + g]) return (peakLr * t.uAdamNorm[i * G + g]) / t.eta[i];
    return NaN;
  });
}
