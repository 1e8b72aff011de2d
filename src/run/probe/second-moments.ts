/**
 * Reads Adam's second moments out of the probe's optimizer state at the end of the probe and reduces
 * them Adafactor-style (src/schedule/second-moments.ts):
 *
 *   v_hat = v / (1 - beta2^t)       t = Adam's update count
 *   matrix (r, c): R_i = mean_j v_hat_ij, C_j = mean_i v_hat_ij;  other ranks: v_hat itself
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { AdamMomentsState } from '../../optim/moments.js';
import type { FactoredMoments } from '../../engine/ort/host-factored.js';
import { factorSecondMoment, type MomentFactors, type SecondMoments } from '../../schedule/second-moments.js';

/** The probe's magnitude state: chain(scaleByAdam, scaleByLearningRate) keeps Adam's moments first. */
function adamMoments(magnitude: unknown): AdamMomentsState {
  const first = Array.isArray(magnitude) ? magnitude[0] : undefined;
  if (!first || typeof first !== 'object' || !('nu' in first) || typeof (first as AdamMomentsState).count !== 'number') {
    throw new Error('probe: the magnitude optimizer state holds no Adam second moments (expected chain(scaleByAdam, ...))');
  }
  return first as AdamMomentsState;
}

/**
 * Factored bias-corrected second moments of every tensor, or undefined before the first step.
 * Borrows the state (reads its tensors with dataSync).
 */
export function probeSecondMoments(magnitudeState: unknown, beta2: number): SecondMoments | undefined {
  const adam = adamMoments(magnitudeState);
  const v = Object.fromEntries(
    Object.entries(adam.nu).map(([name, t]: [string, tf.Tensor]) => [name, { shape: t.shape, data: t.dataSync() as Float32Array }]),
  );
  return hostSecondMoments(v, adam.count, beta2);
}

/**
 * The same from host arrays (the ort runtime's moments): v per parameter after `count` Adam updates.
 * Borrows the arrays. Undefined before the first update.
 */
export function hostSecondMoments(
  v: Readonly<Record<string, { shape: readonly number[]; data: Float32Array }>>,
  count: number,
  beta2: number,
): SecondMoments | undefined {
  if (count < 1) return undefined;
  const correction = 1 - beta2 ** count;
  const params: Record<string, MomentFactors> = {};
  for (const name of Object.keys(v).sort()) {
    const raw = v[name].data;
    const vhat = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) vhat[i] = raw[i] / correction;
    params[name] = factorSecondMoment(vhat, v[name].shape);
  }
  return { step: count, beta2, params };
}

/**
 * The bias-corrected factors of the state: the same SecondMoments a full-Adam probe reports
 * (R / (1 - b2^t), C / (1 - b2^t), v / (1 - b2^t)). Undefined before the first update. Copies.
 */
export function factoredSecondMoments(state: FactoredMoments, beta2: number): SecondMoments | undefined {
  if (state.count < 1) return undefined;
  const correction = 1 - beta2 ** state.count;
  const params: Record<string, MomentFactors> = {};
  for (const name of Object.keys(state.v).sort()) {
    const v = state.v[name];
    params[name] =
      'rows' in v
        ? { rows: Float32Array.from(v.rows, (x) => x / correction), cols: Float32Array.from(v.cols, (x) => x / correction) }
        : { values: Float32Array.from(v.values, (x) => x / correction) };
  }
  return { step: state.count, beta2, params };
}
