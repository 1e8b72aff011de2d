/**
 * The finiteness check of a training step: run on every gradient before the optimizer sees it.
 * (The update itself, `[u, s'] = opt.update(g, s, w); w' = w + u` in one tf.tidy, is optimizerStep in
 * src/optim/state.ts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../../core/params.js';

/**
 * Names of the gradients that hold a NaN or an Infinity, in sorted order. Borrows `grads`.
 * Per tensor, sum(g * 0) is 0 when every entry is finite and NaN otherwise (Inf * 0 = NaN * 0 = NaN);
 * the per-tensor sums are stacked and read back once.
 */
export function nonFiniteGrads(grads: ParamMap): string[] {
  const names = Object.keys(grads).sort();
  if (names.length === 0) return [];
  const probe = tf.tidy(() => tf.stack(names.map((n) => tf.sum(tf.mul(grads[n], 0))))); // (#params)
  const values = probe.dataSync();
  probe.dispose();
  return names.filter((_, i) => !Number.isFinite(values[i]));
}
