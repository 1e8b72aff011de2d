/**
 * Optimizer presets: each is a short chain of building blocks. Learning rates are a number or a
 * Schedule of the step count. Every preset validates its hyperparameters on construction and names the
 * bad value and the allowed range ("adam: beta1 = 1.2 is invalid: expected [0, 1)").
 */
import { perTensor, type GroupOf } from '../core/params.js';
import { describeRate, type CountState, type LearningRate, type Optimizer, type OptimizerSpec } from './base.js';
import { chain } from './combine.js';
import { scaleByAdagrad, scaleByAdam, scaleByRms, trace } from './moments.js';
import { addDecayedWeights, clipByGlobalNorm, identity, scaleByGroup, scaleByLearningRate, scaleByTrustRatio } from './transforms.js';

/** The same optimizer, described by `spec` (the preset's hyperparameters as plain data). */
function named<S>(opt: Optimizer<S>, spec: OptimizerSpec): Optimizer<S> {
  return { init: opt.init, update: opt.update, spec };
}

/** Plain SGD, w <- w - lr(t) g. Holds no tensors: its state is the step count. */
export function sgd(o: { lr: LearningRate }): Optimizer<CountState> {
  return named(scaleByLearningRate(o.lr, 'sgd'), { name: 'sgd', lr: describeRate(o.lr) });
}

/** Heavy-ball momentum: tr = g + beta tr ; w <- w - lr(t) tr (PyTorch SGD, dampening 0). */
export function momentum(o: { lr: LearningRate; beta?: number }) {
  const beta = o.beta ?? 0.9;
  const opt = chain(trace(beta, false, 'momentum'), scaleByLearningRate(o.lr, 'momentum'));
  return named(opt, { name: 'momentum', lr: describeRate(o.lr), beta });
}

/** Nesterov momentum: tr = g + beta tr ; w <- w - lr(t) (g + beta tr). */
export function nesterov(o: { lr: LearningRate; beta?: number }) {
  const beta = o.beta ?? 0.9;
  const opt = chain(trace(beta, true, 'nesterov'), scaleByLearningRate(o.lr, 'nesterov'));
  return named(opt, { name: 'nesterov', lr: describeRate(o.lr), beta });
}

export interface AdamOptions {
  lr: LearningRate;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** Adam: w <- w - lr(t) * mhat / (sqrt(vhat) + eps) (see scaleByAdam). */
export function adam(o: AdamOptions) {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = o;
  const opt = chain(scaleByAdam({ beta1, beta2, eps }, 'adam'), scaleByLearningRate(o.lr, 'adam'));
  return named(opt, { name: 'adam', lr: describeRate(o.lr), beta1, beta2, eps });
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay wd (default 0.01). */
  weightDecay?: number;
  /** Which parameters decay (default all). */
  decays?: (name: string) => boolean;
}

/** AdamW: w <- w - lr(t) * (mhat / (sqrt(vhat) + eps) + wd * w). Needs params in update(). */
export function adamw(o: AdamWOptions) {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = o;
  const opt = chain(
    scaleByAdam({ beta1, beta2, eps }, 'adamw'),
    addDecayedWeights(weightDecay, o.decays, 'adamw'),
    scaleByLearningRate(o.lr, 'adamw'),
  );
  return named(opt, { name: 'adamw', lr: describeRate(o.lr), beta1, beta2, eps, weightDecay });
}

/** AdaGrad: s = s + g^2 ; w <- w - lr(t) g / (sqrt(s) + eps). */
export function adagrad(o: { lr: LearningRate; initialAccumulator?: number; eps?: number }) {
  const { initialAccumulator = 0, eps = 1e-10 } = o;
  const opt = chain(scaleByAdagrad({ initialAccumulator, eps }, 'adagrad'), scaleByLearningRate(o.lr, 'adagrad'));
  return named(opt, { name: 'adagrad', lr: describeRate(o.lr), initialAccumulator, eps });
}

/** RMSProp: v = d v + (1-d) g^2 ; s = g / (sqrt(v) + eps) ; optional momentum on s ; w <- w - lr(t) s. */
export function rmsprop(o: { lr: LearningRate; decay?: number; eps?: number; momentum?: number }) {
  const { decay = 0.99, eps = 1e-8, momentum: beta = 0 } = o;
  const opt = chain(
    scaleByRms({ decay, eps }, 'rmsprop'),
    beta > 0 ? trace(beta, false, 'rmsprop') : identity(),
    scaleByLearningRate(o.lr, 'rmsprop'),
  );
  return named(opt, { name: 'rmsprop', lr: describeRate(o.lr), decay, eps, momentum: beta });
}

/** LAMB: s = adam(g) + wd * w ; w <- w - lr(t) * (||w|| / ||s||) * s per tensor. Needs params. */
export function lamb(o: AdamWOptions) {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-6, weightDecay = 0 } = o;
  const opt = chain(
    scaleByAdam({ beta1, beta2, eps }, 'lamb'),
    addDecayedWeights(weightDecay, o.decays, 'lamb'),
    scaleByTrustRatio('lamb'),
    scaleByLearningRate(o.lr, 'lamb'),
  );
  return named(opt, { name: 'lamb', lr: describeRate(o.lr), beta1, beta2, eps, weightDecay });
}

export interface ScheduledSgdOptions {
  /** Base learning rate eta(t). */
  lr: LearningRate;
  /** Per-group correction c_G(t) (finite, >= 0); e.g. from a schedule artifact. */
  multiplier: (group: string, step: number) => number;
  /** Parameter name -> group, as in the probe that made the multipliers (default per tensor). */
  groupOf?: GroupOf;
  /** If set, clip g by its global norm to at most clipNorm first (stateless). */
  clipNorm?: number;
  /** Decoupled weight decay wd, scaled by eta(t) but not by c_G(t) (default 0). */
  weightDecay?: number;
  decays?: (name: string) => boolean;
}

/**
 * Phase two: stateless SGD with per-group learning rates,
 *   w[G] <- w[G] - eta(t) * (c_G(t) * clip(g)[G] + wd * w[G]).
 * Holds no tensors; its state is only step counts. Needs params when weightDecay > 0.
 */
export function scheduledSgd(o: ScheduledSgdOptions) {
  const { groupOf = perTensor, weightDecay = 0 } = o;
  const opt = chain(
    o.clipNorm === undefined ? identity() : clipByGlobalNorm(o.clipNorm, 'scheduledSgd'),
    scaleByGroup(o.multiplier, groupOf, 'scheduledSgd'),
    addDecayedWeights(weightDecay, o.decays, 'scheduledSgd'),
    scaleByLearningRate(o.lr, 'scheduledSgd'),
  );
  return named(opt, { name: 'scheduledSgd', lr: describeRate(o.lr), clipNorm: o.clipNorm ?? null, weightDecay });
}
