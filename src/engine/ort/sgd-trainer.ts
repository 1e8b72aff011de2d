/**
 * The fused fast path for stateless SGD: one onnxruntime run computes loss, gradients and the updated
 * parameters (src/engine/ort/graphs.ts buildSgdGraph). Parameters live in two sets of host Float32Arrays
 * owned by the trainer: each step feeds the current set (no copy) and has onnxruntime write the graph's
 * `new.<param>` outputs straight into the other set, which then becomes current (no allocation). Same inputs give the same outputs: with config.dropout > 0 the keep-masks come from
 * rng(seed, 'dropout', step, site), as in the tfjs engine.
 */
import type { MlmBatch } from '../../data/batch.js';
import { float32Feed, OrtSession, type Feed, type SessionOptions } from '../../eval/ort.js';
import type { BertConfig } from '../../model/config.js';
import { checkHostParams, paramShapes } from '../../onnx/bert-params.js';
import type { HostParams } from '../../params.js';
import type { CoordinateFactors } from '../../optim/precondition.js';
import { dropoutFeeds } from './dropout.js';
import { preconditionFeeds } from './precondition-feeds.js';
import { batchFeeds, paramFeeds } from './feeds.js';
import { buildSgdGraph, newParamOutput, TRAINING_SESSION } from './graphs.js';
import { checkOrtConfig } from './loss-and-grads.js';

export interface OrtSgdOptions extends SessionOptions {
  /** Clip the gradient to this global norm before the update (default: no clipping). */
  clipNorm?: number;
  /** Emit decoupled weight decay; step() then needs `decayByParam` (default false). */
  weightDecay?: boolean;
  /** Seeds the dropout keep-masks when config.dropout > 0 (default 0). */
  seed?: number;
  /**
   * Step-norm target: parameter name -> group; each gradient is divided by its group's norm
   * ||g[G]|| before the learning rate applies (see buildSgdGraph). Excludes clipNorm.
   */
  normalizeBy?: (name: string) => string;
  /**
   * A fixed per-coordinate preconditioner, with normalizeBy only: each gradient becomes d = P * g
   * before the group norms (src/optim/precondition.ts; factors for every parameter).
   */
  preconditioner?: Readonly<Record<string, CoordinateFactors>>;
  /**
   * Update the parameters in place (graphs.ts `inPlace`): the trainer ADOPTS the arrays of `initial`
   * (no copy) and each run writes the new values into them, so one set of parameters exists. A step whose
   * loss or gradient is not finite then leaves the tensors with a non-finite gradient unchanged but has
   * already updated the others (applied: false; stop the run and resume from a checkpoint). Default
   * false: the trainer copies `initial` and keeps two sets, so a failed step changes nothing.
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
   * False when the loss or gradNorm is not finite: the parameters were left unchanged (in place: only
   * those whose gradient was not finite; see OrtSgdOptions.inPlace).
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

/** Per-parameter values in sorted-name order; throws naming a missing or non-finite entry. */
function perParam(names: string[], values: Readonly<Record<string, number>>, what: string): Float32Array {
  return Float32Array.from(names, (name) => {
    const v = values[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`${what}["${name}"] = ${v} is invalid: give a finite number for every parameter`);
    }
    return v;
  });
}

/**
 * Loads the SGD graph for `config`. Copies `initial` into two sets of arrays owned by the trainer, or
 * with `inPlace` adopts the arrays of `initial` and updates them in place.
 */
export async function createOrtSgdTrainer(config: BertConfig, initial: HostParams, options: OrtSgdOptions = {}): Promise<OrtSgdTrainer> {
  checkOrtConfig(config);
  checkHostParams(config, initial);
  const { clipNorm, weightDecay = false, seed = 0, normalizeBy, preconditioner, inPlace = false } = options;
  if (preconditioner && !normalizeBy) throw new Error('a preconditioner needs normalizeBy: it is applied with the step-norm target only');
  if (clipNorm !== undefined && !(clipNorm > 0)) throw new Error(`clipNorm = ${clipNorm} is invalid: expected a number > 0`);
  if (clipNorm !== undefined && normalizeBy) throw new Error('clipNorm and normalizeBy exclude each other: normalising by group norms undoes clipping');
  const shapes = paramShapes(config);
  const names = Object.keys(shapes);
  const groupNames = normalizeBy ? names.map(normalizeBy) : undefined;
  const groups = groupNames?.map((g) => groupNames.indexOf(g)); // group index = first member's position
  const copy = (from: (name: string) => Float32Array): HostParams =>
    Object.fromEntries(names.map((name) => [name, { shape: [...shapes[name]], data: Float32Array.from(from(name)) }]));
  // In place: the adopted arrays are read and written by every run. Otherwise: the current set and the
  // set the next run writes, swapped after each applied step.
  let params: HostParams = inPlace
    ? Object.fromEntries(names.map((name) => [name, { shape: [...shapes[name]], data: initial[name].data }]))
    : copy((name) => initial[name].data);
  let spare = inPlace ? params : copy((name) => new Float32Array(initial[name].data.length));
  const precond = preconditioner ? preconditionFeeds(shapes, preconditioner) : undefined;
  const bytes = buildSgdGraph(config, { clip: clipNorm !== undefined, weightDecay, groups, preconditioned: precond?.preconditioned, inPlace });
  const session = await OrtSession.create(bytes, { ...TRAINING_SESSION, ...options }, 'the ort SGD graph');
  const fetch = ['loss', 'accuracy', 'grad_norm', 'grad_sq'];
  let taken = 0;

  return {
    config,
    async step(batch, lrByParam, stepOptions = {}) {
      const { decayByParam, step = taken } = stepOptions;
      const feeds: Record<string, Feed> = paramFeeds(params, { ...batchFeeds(config, batch), ...precond?.feeds });
      feeds.lr = float32Feed(perParam(names, lrByParam, 'lrByParam'), [names.length]);
      if (weightDecay) {
        if (!decayByParam) throw new Error('decayByParam is missing: this trainer was made with weightDecay: true');
        feeds.decay = float32Feed(perParam(names, decayByParam, 'decayByParam'), [names.length]);
      }
      if (config.dropout > 0) dropoutFeeds(config, batch, seed, step, feeds);
      taken++;
      if (clipNorm !== undefined) feeds.max_norm = float32Feed(Float32Array.of(clipNorm), []);
      const into: Record<string, Feed> = {};
      for (const name of names) into[newParamOutput(name)] = float32Feed(spare[name].data, spare[name].shape);
      const out = await session.runInto(feeds, into, fetch);
      const gradNorm = out.grad_norm.data[0] as number;
      const loss = out.loss.data[0] as number;
      const applied = Number.isFinite(gradNorm) && Number.isFinite(loss);
      if (applied && !inPlace) [params, spare] = [spare, params]; // else the spare set holds a discarded update
      const squares = out.grad_sq.data as Float32Array;
      const nonFinite = applied ? [] : names.filter((_, i) => !Number.isFinite(squares[i])).sort();
      return { loss, accuracy: out.accuracy.data[0] as number, gradNorm, applied, nonFinite };
    },
    getParams: () => params,
    dispose: () => session.release(),
  };
}
