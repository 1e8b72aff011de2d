/**
 * The tensor work of one training step after the engine has produced gradients:
 * a finiteness check of every gradient, then `[u, s'] = opt.update(g, s, w); w' = w + u` in one tf.tidy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from '../optim/base.js';
import type { ParamMap } from '../params.js';
import { disposeReplaced } from './state.js';

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

/** w + u for every parameter (new tensors; borrows both maps). Every parameter must have an update. */
export function applyUpdates(params: ParamMap, updates: ParamMap): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const name of Object.keys(params)) {
    const u = updates[name];
    if (u === undefined) throw new Error(`the optimizer returned no update for parameter "${name}"`);
    out[name] = tf.add(params[name], u); // same shape as the parameter
  }
  return out;
}

export interface StepResult<S> {
  params: Record<string, tf.Tensor>;
  state: S;
}

/**
 * One optimizer step in a single tf.tidy: updates, new state and new parameters are computed, the
 * intermediates freed. Borrows `grads`; CONSUMES `params` and `state` (their tensors are disposed unless
 * the optimizer passed them through to the new state), and returns new ones owned by the caller.
 */
export function optimizerStep<S>(
  optimizer: Optimizer<S>,
  grads: ParamMap,
  state: S,
  params: ParamMap,
): StepResult<S> {
  const result = tf.tidy(() => {
    const [updates, next] = optimizer.update(grads, state, params);
    const newParams = applyUpdates(params, updates);
    return { params: newParams, state: next } as unknown as tf.TensorContainer;
  }) as unknown as StepResult<S>;
  const kept = [result.params, result.state];
  disposeReplaced(params, kept);
  disposeReplaced(state, kept);
  return result;
}
