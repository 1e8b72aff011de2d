/**
 * Options of `graftlr train` (runTraining), with defaults and validation.
 */
import type { Artifact } from '../../schedule/artifact.js';
import { DECAYS } from '../../optim/schedule-spec.js';
import { applySchema, type OptionSchema } from '../../core/options/schema.js';
import { validateRunOptions, type Decay, type RunOptions } from './options.js';

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
  /**
   * Seed of the fresh initial weights. Default: with a schedule whose preconditioner has per-unit factors, the seed
   * its probe started from (start-weights.ts); else `seed`.
   */
  initSeed?: number;
}

/** Default peak learning rates of the baselines. */
export const DEFAULT_LR: Record<Exclude<TrainOptimizerName, 'static' | 'hybrid'>, number> = { adam: 1e-3, graft: 1e-3, sgd: 0.1 };
export const DEFAULT_WARMUP = 0.05;

const BELOW_ONE = { lo: 0, hi: 1, hiOpen: true } as const;

/**
 * Defaults, limits and help of the options `train` adds to RunOptions (the command line's flags come from here).
 * `implied` defaults apply only where the option matters, so the flag leaves it unset: giving it can be checked.
 */
export const TRAIN_SCHEMA: OptionSchema = {
  schedule: {
    kind: 'string',
    flag: 'schedule',
    help: 'schedule artifact from graftlr extract (for --optimizer static or hybrid)',
    check: (who, name, v) => {
      if (typeof v !== 'string' && (typeof v !== 'object' || v === null)) {
        throw new Error(`${who}: ${name} is invalid: expected a file path or a decoded artifact`);
      }
    },
  },
  optimizer: {
    kind: 'enum',
    flag: 'optimizer',
    choices: TRAIN_OPTIMIZERS,
    default: 'static',
    help: 'static: SGD x artifact multipliers, no state; sgd; adam; graft: online Adam#SGD; hybrid: static + Adam state for LayerNorm and biases (a reference, NOT stateless)',
  },
  steps: { kind: 'int', flag: 'steps', lo: 1, default: 1000, help: 'training steps' },
  lr: {
    kind: 'number',
    flag: 'lr',
    lo: 0,
    loOpen: true,
    hi: 1e6,
    help: `peak of the base schedule (default: static -> the artifact's; adam/graft ${DEFAULT_LR.adam}; sgd ${DEFAULT_LR.sgd})`,
  },
  warmup: {
    kind: 'number',
    flag: 'warmup',
    ...BELOW_ONE,
    help: `warmup as a fraction of the steps (default: static -> the artifact's; others ${DEFAULT_WARMUP})`,
  },
  decay: {
    kind: 'enum',
    flag: 'decay',
    choices: DECAYS,
    help: "base schedule after warmup (default: static -> the artifact's; others linear)",
  },
  endLr: {
    kind: 'number',
    lo: 0,
    hi: 1e6,
    help: "base-schedule value at the last step for linear/cosine decay (default: static -> the artifact's; others 0)",
  },
  scheduleScale: {
    kind: 'number',
    flag: 'schedule-scale',
    lo: 0,
    loOpen: true,
    hi: 1e6,
    default: 1,
    help: "global factor on the artifact's multipliers",
  },
  vectorScale: {
    kind: 'number',
    flag: 'vector-scale',
    lo: 0,
    hi: 1e6,
    help: 'factor on the multipliers of LayerNorm and bias tensors instead of --schedule-scale (per-tensor schedules; 0 freezes them)',
  },
  hybridAdamLr: {
    kind: 'number',
    flag: 'hybrid-adam-lr',
    lo: 0,
    loOpen: true,
    hi: 1,
    help: `hybrid: peak Adam rate of LayerNorm and bias tensors, same shape as the base schedule (default ${DEFAULT_LR.adam})`,
  },
  beta1: {
    kind: 'number',
    flag: 'beta1',
    ...BELOW_ONE,
    default: 0.9,
    implied: true,
    help: "adam/graft/hybrid: Adam's first-moment decay (0: no momentum)",
  },
  beta2: {
    kind: 'number',
    flag: 'beta2',
    ...BELOW_ONE,
    default: 0.999,
    implied: true,
    help: "adam/graft/hybrid: Adam's second-moment decay",
  },
  eps: { kind: 'number', lo: 0, loOpen: true, hi: 1, default: 1e-8, help: "adam/graft/hybrid: Adam's epsilon" },
  momentum: {
    kind: 'number',
    flag: 'momentum',
    lo: 0,
    loOpen: true,
    hi: 1,
    hiOpen: true,
    help: 'static: heavy-ball momentum on the gradient before the step-norm rule; one buffer per parameter, NOT stateless (a reference for what momentum adds)',
  },
  clipNorm: { kind: 'number', flag: 'clip-norm', lo: 0, loOpen: true, help: 'clip gradients to this global norm (stateless)' },
  weightDecay: {
    kind: 'number',
    flag: 'weight-decay',
    lo: 0,
    hi: 1,
    default: 0,
    help: 'decoupled weight decay (stateless; not with graft)',
  },
  evalEvery: { kind: 'int', flag: 'eval-every', lo: 0, help: 'evaluate held-out splits every N steps (default steps/10; 0: end only)' },
  checkpointEvery: {
    kind: 'int',
    flag: 'checkpoint-every',
    lo: 0,
    help: 'checkpoint every N steps (default steps/10; 0: end and stop only)',
  },
  outDir: { kind: 'string', flag: 'out', help: 'run folder (default runs/<optimizer>-<preset>; the library writes nothing without one)' },
  resume: { kind: 'boolean', flag: 'resume', default: false, help: 'continue the run in --out from its last checkpoint' },
  init: { kind: 'string', flag: 'init', help: 'start from exported weights: model.onnx or a Hugging Face folder (graftlr export)' },
  initSeed: {
    kind: 'int',
    flag: 'init-seed',
    lo: 0,
    hi: 0xffffffff,
    help: 'seeds the initial weights (default: with a factored schedule, the seed its probe started from, whose weights its per-unit factors describe; else --seed)',
  },
};

/** Options with defaults filled in; throws a one-line error naming a bad value and the allowed range. */
export function validateTrainOptions(options: Partial<TrainOptions>): TrainOptions {
  const who = 'train';
  const base = validateRunOptions(who, options);
  const o = { ...applySchema<TrainOptions>(who, TRAIN_SCHEMA, options), ...base };
  for (const beta of ['beta1', 'beta2'] as const) {
    // given, not defaulted: the stateless optimizers keep no moments
    if (options[beta] !== undefined && (o.optimizer === 'static' || o.optimizer === 'sgd')) {
      throw new Error(
        `${who}: ${beta} sets Adam's moments: optimizer "${o.optimizer}" keeps none; use it with optimizer adam, graft or hybrid`,
      );
    }
  }
  if (usesSchedule(o.optimizer) && o.schedule === undefined) {
    throw new Error(
      `${who}: optimizer "${o.optimizer}" needs a schedule artifact: pass --schedule <artifact> (made by graftlr extract), or choose --optimizer adam|sgd|graft`,
    );
  }
  if (!usesSchedule(o.optimizer) && o.schedule !== undefined) {
    throw new Error(
      `${who}: a schedule artifact is only used by optimizer "static" (or "hybrid"), not "${o.optimizer}": drop the schedule or use --optimizer static`,
    );
  }
  if (o.hybridAdamLr !== undefined && o.optimizer !== 'hybrid') {
    throw new Error(`${who}: hybridAdamLr is only used by optimizer "hybrid", not "${o.optimizer}": drop it or use --optimizer hybrid`);
  }
  if (o.optimizer === 'hybrid') o.hybridAdamLr = o.hybridAdamLr ?? DEFAULT_LR.adam;
  if (o.momentum !== undefined && o.optimizer !== 'static') {
    throw new Error(`${who}: momentum is only used by optimizer "static", not "${o.optimizer}": drop it or use --optimizer static`);
  }
  if (o.optimizer === 'graft' && o.weightDecay > 0) {
    throw new Error(`${who}: weightDecay = ${o.weightDecay} is not supported with optimizer "graft": set it to 0`);
  }
  const tenth = Math.max(1, Math.round(o.steps / 10));
  o.evalEvery = o.evalEvery ?? tenth;
  o.checkpointEvery = o.checkpointEvery ?? tenth;
  if (o.init !== undefined && o.resume)
    throw new Error(`${who}: init and resume exclude each other: a resumed run continues from its checkpoint`);
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
