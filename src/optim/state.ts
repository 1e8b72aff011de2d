/**
 * Owning optimizer states and applying updates without leaking tensors.
 *
 * Ownership: `opt.update(grads, state, params)` borrows everything it is given and returns new tensors.
 * The caller must then dispose the updates (once applied) and the old state (once it has the new one).
 * `optimizerStep` does all of that in one `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertSameStructure, type ParamMap } from '../core/params.js';
import { collectTensors, type Optimizer, type Updates } from './base.js';

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** The tensors held by an optimizer state (each once). Borrows them. */
export function stateTensors(state: unknown): tf.Tensor[] {
  return collectTensors(state);
}

/**
 * Bytes held in the tensors of an optimizer state: sum of size * bytes per element (string tensors
 * count 0). Plain SGD and scheduledSgd hold only counts: 0.
 */
export function stateBytes(state: unknown): number {
  let bytes = 0;
  for (const t of stateTensors(state)) bytes += t.size * (BYTES_PER_ELEMENT[t.dtype] ?? 0);
  return bytes;
}

/**
 * Disposes every tensor of a state (consumes it), except those in `keep` (e.g. the new state, for
 * optimizers written outside this library that may carry a tensor over unchanged).
 */
export function disposeState(state: unknown, keep?: unknown): void {
  const kept = new Set(keep === undefined ? [] : collectTensors(keep));
  for (const t of stateTensors(state)) if (!kept.has(t) && !t.isDisposed) t.dispose();
}

/** w <- w + u for every parameter. Borrows both maps; returns new tensors. Names and shapes must match. */
export function applyUpdates(params: ParamMap, updates: ParamMap): Record<string, tf.Tensor> {
  assertSameStructure(params, updates, ['params', 'updates']);
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const name of Object.keys(params)) out[name] = tf.add(params[name], updates[name]);
    return out;
  });
}

/** w <- w + u written into variables in place (for loops that keep weights in tf.Variable). Borrows updates. */
export function assignUpdates(variables: Readonly<Record<string, tf.Variable>>, updates: ParamMap): void {
  assertSameStructure(variables, updates, ['variables', 'updates']);
  tf.tidy(() => {
    for (const name of Object.keys(variables)) variables[name].assign(tf.add(variables[name], updates[name]));
  });
}

export interface StepResult<S> {
  /** New parameters w + u (new tensors, owned by the caller). */
  readonly params: Record<string, tf.Tensor>;
  /** New optimizer state (owned by the caller). */
  readonly state: S;
}

/**
 * One optimizer step in one `tf.tidy`: [u, s'] = opt.update(g, s, w) ; w' = w + u.
 * Consumes `params` and `state` (disposes them), borrows `grads` (the caller disposes them) and
 * returns the new params and state. Tensor count is flat across steps.
 */
export function optimizerStep<S>(opt: Optimizer<S>, params: ParamMap, grads: ParamMap, state: S): StepResult<S> {
  const result = tf.tidy(() => {
    const [updates, next] = opt.update(grads, state, params);
    const newParams = applyUpdates(params, updates);
    return { params: newParams, state: next } as unknown as tf.TensorContainer;
  }) as unknown as StepResult<S>;
  disposeState(state, result.state);
  for (const t of Object.values(params)) if (!t.isDisposed) t.dispose();
  return result;
}

/**
 * Variant for weights held in tf.Variable: [u, s'] = opt.update(g, s, vars) ; vars += u in place.
 * Consumes `state`, borrows `grads` and the variables; returns the new state.
 */
export function optimizerStepInPlace<S>(opt: Optimizer<S>, variables: Readonly<Record<string, tf.Variable>>, grads: ParamMap, state: S): S {
  const next = tf.tidy(() => {
    const [updates, s] = opt.update(grads, state, variables);
    assignUpdates(variables, updates);
    return s as unknown as tf.TensorContainer;
  }) as unknown as S;
  disposeState(state, next);
  return next;
}

/** Disposes a map of updates (consumes it). */
export function disposeUpdates(updates: Updates): void {
  for (const t of Object.values(updates)) t.dispose();
}
