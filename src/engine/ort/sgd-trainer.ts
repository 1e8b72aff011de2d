/**
 * The fused step for stateless SGD: the ort step trainer (step-trainer.ts) with the 'sgd' rule for every
 * parameter, so one onnxruntime run computes loss, gradients and the updated parameters. By default the
 * parameters live in two sets of host Float32Arrays owned by the trainer (each step writes the other set,
 * so a failed step changes nothing); with `inPlace` in one set, the caller's, updated in place. Same
 * inputs give the same outputs: with config.dropout > 0 the keep-masks come from rng(seed, 'dropout',
 * step, site), as in the tfjs engine.
 */
import type { MlmBatch } from '../../data/batch.js';
import type { BertConfig } from '../../model/config.js';
import type { HostParams } from '../../core/params.js';
import { createOrtStepTrainer, type OrtStepOptions } from './step-trainer.js';

/** The step trainer's options for the 'sgd' rule (step-trainer.ts), the group function named for what it does here. */
export interface OrtSgdOptions extends Omit<OrtStepOptions, 'ruleOf' | 'adam' | 'moments' | 'groupOf'> {
  /**
   * Step-norm target: parameter name -> group; each gradient is divided by its group's norm
   * ||g[G]|| before the learning rate applies (see buildSgdGraph). Excludes clipNorm.
   */
  normalizeBy?: (name: string) => string;
  /**
   * Update the parameters in place (graphs.ts `inPlace`): the trainer ADOPTS the arrays of `initial`
   * (no copy) and each run writes the new values into them, so one set of parameters exists. A step whose
   * loss or gradient is not finite has then already written its update (applied: false; stop the run and
   * resume from a checkpoint). Default false: the trainer copies `initial` and keeps two sets, so a failed
   * step changes nothing.
   */
  inPlace?: boolean;
}

export interface OrtSgdStepOptions {
  /** Per-parameter decoupled decay eta(t) wd (0 where a parameter does not decay); needed with weightDecay. */
  decayByParam?: Readonly<Record<string, number>>;
  /** The training step index, which labels the dropout stream (default: steps taken by this trainer). */
  step?: number;
}

export interface OrtSgdStepResult {
  loss: number;
  accuracy: number;
  /** Global gradient norm before clipping, ||g|| over all parameters. */
  gradNorm: number;
  /**
   * False when the loss or gradNorm is not finite: the parameters were left unchanged (in place: the
   * update was written all the same; see OrtSgdOptions.inPlace).
   */
  applied: boolean;
  /** Parameters whose gradient holds a NaN or an Infinity (sum of squares not finite), sorted; [] when applied. */
  nonFinite: string[];
}

export interface OrtSgdTrainer {
  readonly config: BertConfig;
  /**
   * One step w' = w (1 - decay_w) - lr_w f g (f = min(1, clipNorm / ||g||), 1 without clipping).
   * `lrByParam[name]` is the learning rate of each parameter (eta(t) c_G(t) for scheduled SGD).
   */
  step(batch: MlmBatch, lrByParam: Readonly<Record<string, number>>, options?: OrtSgdStepOptions): Promise<OrtSgdStepResult>;
  /**
   * The current parameters: the trainer's own arrays, valid until the next step() overwrites them
   * (the step after it writes into the other set); copy them to keep them.
   */
  getParams(): HostParams;
  dispose(): Promise<void>;
}

/**
 * Loads the SGD graph for `config` (the step trainer with the 'sgd' rule for every parameter). Copies
 * `initial` into two sets of arrays owned by the trainer, or with `inPlace` adopts the arrays of
 * `initial` and updates them in place.
 */
export async function createOrtSgdTrainer(config: BertConfig, initial: HostParams, options: OrtSgdOptions = {}): Promise<OrtSgdTrainer> {
  const { normalizeBy, inPlace = false, ...rest } = options;
  if (rest.preconditioner && !normalizeBy)
    throw new Error('a preconditioner needs normalizeBy: it is applied with the step-norm target only');
  if (rest.clipNorm !== undefined && normalizeBy)
    throw new Error('clipNorm and normalizeBy exclude each other: normalising by group norms undoes clipping');
  return createOrtStepTrainer(config, initial, { ...rest, groupOf: normalizeBy, inPlace });
}
