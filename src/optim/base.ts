/**
 * Optimizers are values: a pair of pure functions, state in and state out (optax style).
 * Nothing is stored on `this`; a probe inspects the state it is handed back.
 */
import type { ParamMap } from '../params.js';

/** A learning rate (or any scalar) as a function of the 0-based step count. */
export type Schedule = (step: number) => number;

/**
 * update(grads, state, params?) -> [updates, newState].
 * `updates` are *added* to the parameters: w <- w + u (so SGD returns -lr * g).
 * update borrows `grads`, `params` and the old `state`'s tensors; the returned updates and state are new
 * tensors owned by the caller (the caller disposes the old state once it has the new one).
 */
export interface Optimizer<S> {
  init(params: ParamMap): S;
  update(grads: ParamMap, state: S, params?: ParamMap): [Record<string, import('@tensorflow/tfjs-core').Tensor>, S];
}
