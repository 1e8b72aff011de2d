/**
 * Optimizers are values: a pair of pure functions, state in and state out (optax style).
 * Nothing is stored on `this`; a probe inspects the state it is handed back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertSameStructure, type ParamMap } from '../core/params.js';

/** A learning rate (or any scalar) as a function of the 0-based step count. */
export type Schedule = (step: number) => number;

/** A learning rate given as a constant or as a schedule of the step count. */
export type LearningRate = number | Schedule;

/** name -> update tensor; added to the parameters: w <- w + u. */
export type Updates = Record<string, tf.Tensor>;

/**
 * Hyperparameters of an optimizer as plain data (for artifacts and logs), e.g.
 * `{ name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 }`.
 */
export interface OptimizerSpec {
  readonly name: string;
  readonly [key: string]: unknown;
}

/**
 * update(grads, state, params?) -> [updates, newState].
 * `updates` are *added* to the parameters: w <- w + u (so SGD returns -lr * g).
 * update borrows `grads`, `params` and the old `state`'s tensors; the returned updates and state are new
 * tensors owned by the caller (the caller disposes the old state once it has the new one, e.g. with
 * `disposeState`, or lets `optimizerStep` do it). The returned tensors never alias an input tensor, so
 * disposing the old state never frees part of the new one.
 */
export interface Optimizer<S> {
  init(params: ParamMap): S;
  update(grads: ParamMap, state: S, params?: ParamMap): [Updates, S];
  /** Hyperparameters as plain data, when the optimizer was built by a preset or a building block. */
  readonly spec?: OptimizerSpec;
}

/** The state type of an optimizer value. */
export type StateOf<O> = O extends Optimizer<infer S> ? S : never;

/** A state that holds nothing but the number of updates applied so far. */
export interface CountState {
  readonly count: number;
}

/** Turns a learning rate into a schedule (a constant one for a number). */
export function asSchedule(lr: LearningRate): Schedule {
  return typeof lr === 'number' ? () => lr : lr;
}

/**
 * Every tensor reachable from a value (objects, arrays, Maps are not supported), in a stable order,
 * each listed once. Borrows them.
 */
export function collectTensors(value: unknown, out: tf.Tensor[] = [], seen = new Set<unknown>()): tf.Tensor[] {
  if (value == null || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  if (value instanceof tf.Tensor) {
    out.push(value);
    return out;
  }
  for (const key of Object.keys(value)) collectTensors((value as Record<string, unknown>)[key], out, seen);
  return out;
}

/** Copies a plain tree of objects/arrays, replacing each tensor t by fn(t). */
function mapTensorTree<T>(value: T, fn: (t: tf.Tensor) => tf.Tensor): T {
  if (value == null || typeof value !== 'object') return value;
  if (value instanceof tf.Tensor) return fn(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapTensorTree(v, fn)) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = mapTensorTree((value as Record<string, unknown>)[key], fn);
  return out as T;
}

/**
 * Runs an update body inside one `tf.tidy`: intermediates are freed, and any returned tensor that is
 * one of the borrowed inputs (grads, state, params) or appears twice in the result (e.g. a momentum
 * trace returned both as update and as state) is replaced by a clone. So every returned tensor is
 * owned exactly once, and the caller may dispose inputs, updates and new state independently.
 * Every building block's update goes through here.
 */
export function tidyUpdate<S>(inputs: unknown[], body: () => [Updates, S]): [Updates, S] {
  return tf.tidy(() => {
    const result = body();
    const seen = new Set(collectTensors(inputs));
    const owned = mapTensorTree(result, (t) => {
      if (seen.has(t)) return t.clone();
      seen.add(t);
      return t;
    });
    return owned as unknown as tf.TensorContainer;
  }) as unknown as [Updates, S];
}

/**
 * Throws unless `value` lies in the interval; the message names the optimizer, the value and the range,
 * e.g. "adam: beta1 = 1.2 is invalid: expected [0, 1)". `bounds` is one of '[]', '[)', '(]', '()'.
 */
export function checkRange(op: string, name: string, value: number, lo: number, hi: number, bounds = '[]'): void {
  const loOk = bounds[0] === '[' ? value >= lo : value > lo;
  const hiOk = bounds[1] === ']' ? value <= hi : value < hi;
  if (typeof value !== 'number' || !loOk || !hiOk) {
    throw new Error(`${op}: ${name} = ${value} is invalid: expected ${bounds[0]}${lo}, ${hi}${bounds[1]}`);
  }
}

/** Checks a learning rate: a number in [0, Infinity), or a function (whose values are checked per step). */
export function checkLearningRate(op: string, lr: LearningRate): void {
  if (typeof lr === 'function') return;
  checkRange(op, 'lr', lr, 0, Infinity, '[)');
}

/** Evaluates a schedule at `step` and throws unless the value is finite and >= 0. */
export function evalRate(op: string, name: string, schedule: Schedule, step: number): number {
  const value = schedule(step);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${op}: ${name}(${step}) = ${value} is invalid: expected a finite number >= 0`);
  }
  return value;
}

/**
 * Throws unless `grads` has exactly the names and shapes of `reference` (a state map or the params),
 * with a message that names the optimizer and what to do.
 */
export function checkGrads(op: string, grads: ParamMap, reference: ParamMap, refName: string): void {
  try {
    assertSameStructure(grads, reference, ['the gradients', refName]);
  } catch (e) {
    const hint = refName === 'params' ? 'pass gradients for exactly the parameters' : 'build the state with init() on the same parameters';
    throw new Error(`${op}: ${(e as Error).message}; ${hint}`);
  }
}

/** Describes a learning rate as plain data: the number, the schedule's spec, or 'custom'. */
export function describeRate(lr: LearningRate): unknown {
  if (typeof lr === 'number') return lr;
  const spec = (lr as { spec?: unknown }).spec;
  return spec ?? 'custom';
}
