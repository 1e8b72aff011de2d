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
import type { MlmBatch } from '../data/batch.js';
import type { Engine } from '../engine/types.js';
import { disposeParams, groupNorms, type GroupOf, type ParamMap } from '../params.js';
import type { StabilityLimits } from '../schedule/stability.js';

/**
 * Batches each limit is averaged over (the probe's next k) where the tools measure them: `extract` by default, and
 * `compare` for probes whose variants cap by curvature. The library's probe measures none unless asked (0).
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

/** Weights with group G moved by -alpha * g[G] / s, every other tensor shared with `params`. */
function stepAlongGroup(params: ParamMap, grads: Record<string, tf.Tensor>, inGroup: (name: string) => boolean, scale: number): { moved: ParamMap; created: tf.Tensor[] } {
  const moved: Record<string, tf.Tensor> = { ...params };
  const created: tf.Tensor[] = [];
  for (const name of Object.keys(params)) {
    if (!inGroup(name)) continue;
    moved[name] = tf.tidy(() => tf.sub(params[name], tf.mul(grads[name], scale))); // w[G] - (alpha / s) g[G]
    created.push(moved[name]);
  }
  return { moved, created };
}

/** Measures every group's limit (see the module comment). */
export async function measureStabilityLimits(o: StabilityMeasureOptions): Promise<StabilityLimits> {
  const G = o.groups.length;
  const slopeSum = new Float64Array(G), curvatureSum = new Float64Array(G), counts = new Float64Array(G);
  for (let b = 0; b < o.batches.length; b++) {
    const batch = o.batches[b];
    const { grads } = await o.engine.lossAndGrads(o.params, batch, o.firstStep + b);
    try {
      const l0 = (await o.engine.evaluate(o.params, [batch])).loss;
      const gradNorms = groupNorms(grads, o.groupOf);
      for (let g = 0; g < G; g++) {
        const inGroup = (name: string) => o.groupOf(name) === o.groups[g];
        const s = gradNorms[o.groups[g]] ?? 0;
        const alpha = o.stepLength[g];
        if (!(s > 0 && Number.isFinite(s) && alpha > 0 && Number.isFinite(alpha))) continue;
        const { moved, created } = stepAlongGroup(o.params, grads, inGroup, alpha / s);
        try {
          const l1 = (await o.engine.evaluate(moved, [batch])).loss;
          slopeSum[g] += s;
          curvatureSum[g] += (2 * (l1 - l0 + alpha * s)) / (alpha * alpha);
          counts[g] += 1;
        } finally {
          for (const t of created) t.dispose();
        }
      }
    } finally {
      disposeParams(grads);
    }
  }
  const slope = new Float64Array(G), curvature = new Float64Array(G), limit = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    slope[g] = counts[g] > 0 ? slopeSum[g] / counts[g] : NaN;
    curvature[g] = counts[g] > 0 ? curvatureSum[g] / counts[g] : NaN;
    limit[g] = counts[g] === 0 ? NaN : curvature[g] > 0 ? (2 * slope[g]) / curvature[g] : Infinity;
  }
  return { batches: o.batches.length, stepLength: Float64Array.from(o.stepLength), slope, curvature, limit };
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
