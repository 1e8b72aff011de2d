/**
 * Options of `graftlr train` (runTraining), with defaults and validation.
 */
import type { Artifact } from '../schedule/artifact.js';
import { checkDecay, checkInt, checkNumber, stripUndefined, validateRunOptions, type Decay, type RunOptions } from './options.js';

export const TRAIN_OPTIMIZERS = ['static', 'sgd', 'adam', 'graft', 'hybrid'] as const;
export type TrainOptimizerName = (typeof TRAIN_OPTIMIZERS)[number];

/** Optimizers driven by a schedule artifact (static; hybrid, which adds Adam state for LayerNorm and biases). */
export function usesSchedule(optimizer: TrainOptimizerName): boolean {
  return optimizer === 'static' || optimizer === 'hybrid';
}

export interface TrainOptions extends RunOptions {
  /** Steps of the whole run (default 1000). */
  steps: number;
  /**
   * static: stateless SGD with the artifact's per-group multipliers (needs `schedule`; the default);
   * sgd: plain SGD; adam: Adam (AdamW when weightDecay > 0); graft: online Adam#SGD;
   * hybrid (a reference, NOT stateless): static for the matrices and embeddings, Adam for LayerNorm and biases.
   */
  optimizer: TrainOptimizerName;
  /** Peak of the base schedule eta(t). Default: static -> the artifact's probe peak; adam, graft 1e-3; sgd 0.1. */
  lr?: number;
  /** Warmup as a fraction of `steps`, in [0, 1). Default: static -> the artifact's; others 0.05. */
  warmup?: number;
  /** Shape after warmup. Default: static -> the artifact's; others 'linear'. */
  decay?: Decay;
  /** Base-schedule value at the last step for linear/cosine decay (default: static -> the artifact's; others 0). */
  endLr?: number;
  /** Adam (and the graft magnitude) hyperparameters. */
  beta1: number;
  beta2: number;
  eps: number;
  /** Schedule artifact (a path, or an already decoded artifact) for `static`. */
  schedule?: string | Artifact;
  /** Global factor on the artifact's multipliers (the one knob a static-schedule sweep tunes; default 1). */
  scheduleScale: number;
  /**
   * Factor on the multipliers of LayerNorm and bias groups instead of scheduleScale (default: scheduleScale).
   * A group is such a vector when its name is a parameter ending in .bias, .gamma or .beta (per-tensor groups).
   */
  vectorScale?: number;
  /** hybrid only: peak Adam rate of the LayerNorm and bias tensors, following eta(t)'s shape (default 1e-3). */
  hybridAdamLr?: number;
  /**
   * static (step-norm schedules) only: heavy-ball momentum d <- beta d + g before the step-norm rule, so the
   * step follows a running sum of gradients as Adam's does. ONE buffer per parameter (half of Adam's state):
   * NOT stateless, a reference for what momentum adds. Default: off.
   */
  momentum?: number;
  /** Clip the gradient to this global norm first (stateless; default off). */
  clipNorm?: number;
  /** Decoupled weight decay (stateless; default 0). Not available with graft. */
  weightDecay: number;
  /** Evaluate the held-out splits every N steps (0: only at the end; default steps / 10). */
  evalEvery?: number;
  /** Checkpoint every N steps (0: only at the end and on stop; default steps / 10). Needs outDir. */
  checkpointEvery?: number;
  /** Run folder: checkpoint/, metrics.jsonl, tokenizer.json, summary.json. Without it nothing is written. */
  outDir?: string;
  /** Continue the run in outDir from its checkpoint (bit-identical to an uninterrupted run). */
  resume: boolean;
  /** Start from exported weights instead of a fresh initialisation: a model.onnx or a Hugging Face folder. */
  init?: string;
}

export const TRAIN_DEFAULTS = {
  steps: 1000, optimizer: 'static' as TrainOptimizerName, beta1: 0.9, beta2: 0.999, eps: 1e-8, scheduleScale: 1,
  weightDecay: 0, resume: false,
};

/** Default peak learning rates of the baselines. */
export const DEFAULT_LR: Record<Exclude<TrainOptimizerName, 'static' | 'hybrid'>, number> = { adam: 1e-3, graft: 1e-3, sgd: 0.1 };
export const DEFAULT_WARMUP = 0.05;

/** Options with defaults filled in; throws a one-line error naming a bad value and the allowed range. */
export function validateTrainOptions(options: Partial<TrainOptions>): TrainOptions {
  const who = 'train';
  const base = validateRunOptions(who, options);
  const o = { ...TRAIN_DEFAULTS, ...stripUndefined(options), ...base } as TrainOptions;
  for (const beta of ['beta1', 'beta2'] as const) { // given, not defaulted: the stateless optimizers keep no moments
    if (options[beta] !== undefined && (o.optimizer === 'static' || o.optimizer === 'sgd')) {
      throw new Error(`${who}: ${beta} sets Adam's moments: optimizer "${o.optimizer}" keeps none; use it with optimizer adam, graft or hybrid`);
    }
  }
  checkInt(who, 'steps', o.steps, 1);
  if (!TRAIN_OPTIMIZERS.includes(o.optimizer)) {
    throw new Error(`${who}: optimizer = ${JSON.stringify(o.optimizer)} is invalid: expected one of ${TRAIN_OPTIMIZERS.join(', ')}`);
  }
  if (usesSchedule(o.optimizer) && o.schedule === undefined) {
    throw new Error(`${who}: optimizer "${o.optimizer}" needs a schedule artifact: pass --schedule <artifact> (made by graftlr extract), or choose --optimizer adam|sgd|graft`);
  }
  if (!usesSchedule(o.optimizer) && o.schedule !== undefined) {
    throw new Error(`${who}: a schedule artifact is only used by optimizer "static" (or "hybrid"), not "${o.optimizer}": drop the schedule or use --optimizer static`);
  }
  if (o.hybridAdamLr !== undefined && o.optimizer !== 'hybrid') {
    throw new Error(`${who}: hybridAdamLr is only used by optimizer "hybrid", not "${o.optimizer}": drop it or use --optimizer hybrid`);
  }
  if (o.optimizer === 'hybrid') {
    o.hybridAdamLr = o.hybridAdamLr ?? DEFAULT_LR.adam;
    checkNumber(who, 'hybridAdamLr', o.hybridAdamLr, 0, 1);
  }
  if (o.momentum !== undefined) {
    if (o.optimizer !== 'static') throw new Error(`${who}: momentum is only used by optimizer "static", not "${o.optimizer}": drop it or use --optimizer static`);
    checkNumber(who, 'momentum', o.momentum, 0, 1 - Number.EPSILON);
  }
  if (o.lr !== undefined) checkNumber(who, 'lr', o.lr, 0, 1e6);
  if (o.warmup !== undefined && !(typeof o.warmup === 'number' && o.warmup >= 0 && o.warmup < 1)) {
    throw new Error(`${who}: warmup = ${o.warmup} is invalid: expected a fraction of the steps in [0, 1)`);
  }
  if (o.decay !== undefined) checkDecay(who, o.decay);
  if (o.endLr !== undefined) checkNumber(who, 'endLr', o.endLr, 0, 1e6, true);
  checkNumber(who, 'beta1', o.beta1, 0, 1 - Number.EPSILON, true);
  checkNumber(who, 'beta2', o.beta2, 0, 1 - Number.EPSILON, true);
  checkNumber(who, 'eps', o.eps, 0, 1);
  checkNumber(who, 'scheduleScale', o.scheduleScale, 0, 1e6);
  if (o.vectorScale !== undefined) checkNumber(who, 'vectorScale', o.vectorScale, 0, 1e6, true); // 0 freezes LayerNorm and biases
  if (o.clipNorm !== undefined) checkNumber(who, 'clipNorm', o.clipNorm, 0, Infinity);
  checkNumber(who, 'weightDecay', o.weightDecay, 0, 1, true);
  if (o.optimizer === 'graft' && o.weightDecay > 0) {
    throw new Error(`${who}: weightDecay = ${o.weightDecay} is not supported with optimizer "graft": set it to 0`);
  }
  const tenth = Math.max(1, Math.round(o.steps / 10));
  o.evalEvery = o.evalEvery ?? tenth;
  o.checkpointEvery = o.checkpointEvery ?? tenth;
  checkInt(who, 'evalEvery', o.evalEvery, 0);
  checkInt(who, 'checkpointEvery', o.checkpointEvery, 0);
  if (o.init !== undefined && o.resume) throw new Error(`${who}: init and resume exclude each other: a resumed run continues from its checkpoint`);
  if (o.resume && o.outDir === undefined) throw new Error(`${who}: resume needs the run folder: pass --out <folder> with --resume`);
  return o;
}

/** LayerNorm gamma/beta and biases, by parameter name: the tensors vectorScale addresses and the hybrid gives Adam state. */
export function isVectorParam(name: string): boolean {
  return /\.(bias|gamma|beta)$/.test(name);
}

/** The global factor a static schedule applies to `group`: vectorScale for LayerNorm/bias groups, else scheduleScale. */
export function groupScale(o: Pick<TrainOptions, 'scheduleScale' | 'vectorScale'>, group: string): number {
  return o.vectorScale !== undefined && isVectorParam(group) ? o.vectorScale : o.scheduleScale;
}
