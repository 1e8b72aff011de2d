/**
 * Stateless and count-only building blocks. Each is an Optimizer value ({init, update}); chain them with
 * `chain(...)` (combine.ts). Notation: g is the incoming update (the gradient at the head of a chain),
 * u the outgoing one, w the parameters, t the 0-based count of updates done before this one.
 * Every update borrows its inputs and returns new tensors (see base.ts). An optional last argument `op`
 * is the name used in error messages (presets pass their own, e.g. 'adam').
 */
import * as tf from '@tensorflow/tfjs-core';
import { mapParams, perTensor, sumSquares64, type GroupOf, type ParamMap } from '../core/params.js';
import {
  asSchedule,
  checkGrads,
  checkLearningRate,
  checkRange,
  describeRate,
  evalRate,
  tidyUpdate,
  type CountState,
  type LearningRate,
  type Optimizer,
  type Schedule,
} from './base.js';

/** The state of a block that keeps nothing. */
export type EmptyState = Readonly<Record<string, never>>;

const EMPTY: EmptyState = Object.freeze({});

/** u = g. */
export function identity(): Optimizer<EmptyState> {
  return {
    spec: { name: 'identity' },
    init: () => EMPTY,
    update: (grads, state) => tidyUpdate([grads], () => [{ ...grads }, state]),
  };
}

/** u = k * g, for a constant k. */
export function scale(k: number): Optimizer<EmptyState> {
  checkRange('scale', 'k', k, -Infinity, Infinity, '()');
  return {
    spec: { name: 'scale', k },
    init: () => EMPTY,
    update: (grads, state) => tidyUpdate([grads], () => [mapParams(grads, (g) => tf.mul(g, k)), state]),
  };
}

/** u = s(t) * g; the state is the count t. */
export function scaleBySchedule(schedule: Schedule): Optimizer<CountState> {
  return {
    spec: { name: 'scaleBySchedule', schedule: describeRate(schedule) },
    init: () => ({ count: 0 }),
    update(grads, state) {
      const s = schedule(state.count);
      if (!Number.isFinite(s)) throw new Error(`scaleBySchedule: schedule(${state.count}) = ${s} is invalid: expected a finite number`);
      return tidyUpdate([grads], () => [mapParams(grads, (g) => tf.mul(g, s)), { count: state.count + 1 }]);
    },
  };
}

/** u = -lr(t) * g (gradient descent sign); the state is the count t. lr: number >= 0 or a schedule. */
export function scaleByLearningRate(lr: LearningRate, op = 'scaleByLearningRate'): Optimizer<CountState> {
  checkLearningRate(op, lr);
  const schedule = asSchedule(lr);
  return {
    spec: { name: 'scaleByLearningRate', lr: describeRate(lr) },
    init: () => ({ count: 0 }),
    update(grads, state) {
      const rate = evalRate(op, 'lr', schedule, state.count);
      return tidyUpdate([grads], () => [mapParams(grads, (g) => tf.mul(g, -rate)), { count: state.count + 1 }]);
    },
  };
}

/**
 * Per-group scale: u[n] = m(groupOf(n), t) * g[n]; the state is the count t. m must return a finite
 * number >= 0 (a per-group learning-rate multiplier c_G(t)).
 */
export function scaleByGroup(
  multiplier: (group: string, step: number) => number,
  groupOf: GroupOf = perTensor,
  op = 'scaleByGroup',
): Optimizer<CountState> {
  return {
    spec: { name: 'scaleByGroup', multiplier: 'custom' },
    init: () => ({ count: 0 }),
    update(grads, state) {
      const t = state.count;
      const byGroup = new Map<string, number>();
      for (const name of Object.keys(grads)) {
        const group = groupOf(name);
        if (byGroup.has(group)) continue;
        const m = multiplier(group, t);
        if (typeof m !== 'number' || !Number.isFinite(m) || m < 0) {
          throw new Error(`${op}: multiplier("${group}", ${t}) = ${m} is invalid: expected a finite number >= 0`);
        }
        byGroup.set(group, m);
      }
      return tidyUpdate([grads], () => [mapParams(grads, (g, n) => tf.mul(g, byGroup.get(groupOf(n))!)), { count: t + 1 }]);
    },
  };
}

/**
 * Decoupled weight decay term: u = g + wd * w (then scaled by -lr later in the chain). Needs params.
 * `decays(name)` picks which parameters decay (default: all).
 */
export function addDecayedWeights(
  weightDecay: number,
  decays: (name: string) => boolean = () => true,
  op = 'addDecayedWeights',
): Optimizer<EmptyState> {
  checkRange(op, 'weightDecay', weightDecay, 0, Infinity, '[)');
  return {
    spec: { name: 'addDecayedWeights', weightDecay },
    init: () => EMPTY,
    update(grads, state, params) {
      if (weightDecay === 0) return tidyUpdate([grads], () => [{ ...grads }, state]);
      if (!params) throw new Error(`${op}: update() needs params when weightDecay > 0; pass them as the third argument`);
      checkGrads(op, grads, params, 'params');
      return tidyUpdate([grads, params], () => [
        mapParams(grads, (g, n) => (decays(n) ? tf.add(g, tf.mul(params[n], weightDecay)) : g)),
        state,
      ]);
    },
  };
}

/** Global norm over all tensors, ||g|| = sqrt(sum of squares), accumulated in float64. Borrows g. */
export function globalNorm(grads: ParamMap): number {
  let squares = 0;
  for (const name of Object.keys(grads)) squares += sumSquares64(grads[name]);
  return Math.sqrt(squares);
}

/** u = g * min(1, maxNorm / ||g||), ||g|| the global norm over all tensors (float64). Stateless. */
export function clipByGlobalNorm(maxNorm: number, op = 'clipByGlobalNorm'): Optimizer<EmptyState> {
  checkRange(op, 'maxNorm', maxNorm, 0, Infinity, '()');
  return {
    spec: { name: 'clipByGlobalNorm', maxNorm },
    init: () => EMPTY,
    update(grads, state) {
      const norm = globalNorm(grads);
      const factor = norm > maxNorm ? maxNorm / norm : 1;
      return tidyUpdate([grads], () => [factor === 1 ? { ...grads } : mapParams(grads, (g) => tf.mul(g, factor)), state]);
    },
  };
}

/**
 * LAMB's layer-wise trust ratio: u[n] = (||w[n]|| / ||g[n]||) * g[n] per tensor, or g[n] unchanged when
 * either norm is 0. Norms in float64. Needs params.
 */
export function scaleByTrustRatio(op = 'scaleByTrustRatio'): Optimizer<EmptyState> {
  return {
    spec: { name: 'scaleByTrustRatio' },
    init: () => EMPTY,
    update(grads, state, params) {
      if (!params) throw new Error(`${op}: update() needs params; pass them as the third argument`);
      checkGrads(op, grads, params, 'params');
      return tidyUpdate([grads, params], () => [
        mapParams(grads, (g, n) => {
          const wNorm = Math.sqrt(sumSquares64(params[n]));
          const gNorm = Math.sqrt(sumSquares64(g));
          return wNorm > 0 && gNorm > 0 ? tf.mul(g, wNorm / gNorm) : g;
        }),
        state,
      ]);
    },
  };
}
