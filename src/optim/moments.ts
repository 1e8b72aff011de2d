/**
 * Building blocks that keep per-parameter tensors in their state (moments, traces, accumulators).
 * Notation as in transforms.ts; t counts updates from 1 inside bias corrections.
 * Every update borrows its inputs and returns new tensors (see base.ts). An optional last argument `op`
 * is the name used in error messages (presets pass their own, e.g. 'adam').
 */
import * as tf from '@tensorflow/tfjs-core';
import { mapParams, type ParamMap } from '../core/params.js';
import { checkGrads, checkRange, tidyUpdate, type Optimizer } from './base.js';

type TensorMap = Record<string, tf.Tensor>;

/** A map of the same names and shapes filled with `value` (new tensors). */
function filledLike(params: ParamMap, value: number): TensorMap {
  return mapParams(params, (p) => tf.fill(p.shape, value, 'float32'));
}

export interface AdamMomentsState {
  readonly count: number;
  /** First moment m per parameter. */
  readonly mu: TensorMap;
  /** Second moment v per parameter. */
  readonly nu: TensorMap;
}

export interface AdamMomentsOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Adam's normalized step (without the learning rate):
 *   m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2 ;  t = t + 1
 *   u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 */
export function scaleByAdam(options: AdamMomentsOptions = {}, op = 'scaleByAdam'): Optimizer<AdamMomentsState> {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkRange(op, 'beta1', beta1, 0, 1, '[)');
  checkRange(op, 'beta2', beta2, 0, 1, '[)');
  checkRange(op, 'eps', eps, 0, Infinity, '[)');
  return {
    spec: { name: 'scaleByAdam', beta1, beta2, eps },
    init: (params) => ({ count: 0, mu: filledLike(params, 0), nu: filledLike(params, 0) }),
    update(grads, state) {
      checkGrads(op, grads, state.mu, `the ${op} state`);
      return tidyUpdate([grads, state], () => {
        const count = state.count + 1;
        const mu = mapParams(grads, (g, n) => tf.add(tf.mul(state.mu[n], beta1), tf.mul(g, 1 - beta1)));
        const nu = mapParams(grads, (g, n) => tf.add(tf.mul(state.nu[n], beta2), tf.mul(tf.square(g), 1 - beta2)));
        const c1 = 1 - beta1 ** count;
        const c2 = 1 - beta2 ** count;
        const updates = mapParams(mu, (m, n) => tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(nu[n], c2)), eps)));
        return [updates, { count, mu, nu }];
      });
    },
  };
}

export interface TraceState {
  /** Momentum buffer per parameter. */
  readonly trace: TensorMap;
}

/**
 * Momentum: tr = g + decay * tr ; u = tr, or (nesterov) u = g + decay * tr.
 * (The same as PyTorch SGD momentum with dampening 0.)
 */
export function trace(decay: number, nesterov = false, op = 'trace'): Optimizer<TraceState> {
  checkRange(op, 'momentum', decay, 0, 1, '[)');
  return {
    spec: { name: 'trace', decay, nesterov },
    init: (params) => ({ trace: filledLike(params, 0) }),
    update(grads, state) {
      checkGrads(op, grads, state.trace, `the ${op} state`);
      return tidyUpdate([grads, state], () => {
        const tr = mapParams(grads, (g, n) => tf.add(g, tf.mul(state.trace[n], decay)));
        const updates = nesterov ? mapParams(grads, (g, n) => tf.add(g, tf.mul(tr[n], decay))) : { ...tr };
        return [updates, { trace: tr }];
      });
    },
  };
}

export interface AccumulatorState {
  /** Per-parameter accumulator of squared gradients (decayed for RMS, summed for AdaGrad). */
  readonly nu: TensorMap;
}

export interface RmsOptions {
  decay?: number;
  eps?: number;
  initialScale?: number;
}

/** RMSProp's normalization: v = decay v + (1 - decay) g^2 ; u = g / (sqrt(v) + eps). */
export function scaleByRms(options: RmsOptions = {}, op = 'scaleByRms'): Optimizer<AccumulatorState> {
  const { decay = 0.99, eps = 1e-8, initialScale = 0 } = options;
  checkRange(op, 'decay', decay, 0, 1, '[)');
  checkRange(op, 'eps', eps, 0, Infinity, '[)');
  checkRange(op, 'initialScale', initialScale, 0, Infinity, '[)');
  return {
    spec: { name: 'scaleByRms', decay, eps, initialScale },
    init: (params) => ({ nu: filledLike(params, initialScale) }),
    update(grads, state) {
      checkGrads(op, grads, state.nu, `the ${op} state`);
      return tidyUpdate([grads, state], () => {
        const nu = mapParams(grads, (g, n) => tf.add(tf.mul(state.nu[n], decay), tf.mul(tf.square(g), 1 - decay)));
        const updates = mapParams(grads, (g, n) => tf.div(g, tf.add(tf.sqrt(nu[n]), eps)));
        return [updates, { nu }];
      });
    },
  };
}

export interface AdagradOptions {
  initialAccumulator?: number;
  eps?: number;
}

/** AdaGrad's normalization: s = s + g^2 ; u = g / (sqrt(s) + eps). */
export function scaleByAdagrad(options: AdagradOptions = {}, op = 'scaleByAdagrad'): Optimizer<AccumulatorState> {
  const { initialAccumulator = 0, eps = 1e-10 } = options;
  checkRange(op, 'initialAccumulator', initialAccumulator, 0, Infinity, '[)');
  checkRange(op, 'eps', eps, 0, Infinity, '[)');
  return {
    spec: { name: 'scaleByAdagrad', initialAccumulator, eps },
    init: (params) => ({ nu: filledLike(params, initialAccumulator) }),
    update(grads, state) {
      checkGrads(op, grads, state.nu, `the ${op} state`);
      return tidyUpdate([grads, state], () => {
        const nu = mapParams(grads, (g, n) => tf.add(state.nu[n], tf.square(g)));
        const updates = mapParams(grads, (g, n) => tf.div(g, tf.add(tf.sqrt(nu[n]), eps)));
        return [updates, { nu }];
      });
    },
  };
}
