/**
 * The ort training runtime: one onnxruntime run per training step (step-graph.ts computes loss, gradients
 * and every update), with all memory in host Float32Arrays owned here and nowhere else:
 *   parameters      one set, updated in place (adopted from `initial`);
 *   Adam moments    m and v for the parameters whose rule is 'adam' or 'graft', updated in place;
 *   the rest        per-step scalars (learning rates, decays, bias corrections) and the batch.
 * Nothing is copied through another tensor library. Same inputs give the same outputs: with config.dropout
 * > 0 the keep-masks come from rng(seed, 'dropout', step, site), as in the tfjs engine.
 *
 * A step whose loss or gradient is not finite reports applied: false, and its update has already been
 * written in place (NaN where the gradient was): the run must stop and resume from a checkpoint. With
 * `inPlace: false` (tests) the trainer copies `initial` into two sets of parameters and a failed step
 * leaves the parameters unchanged; moments are always updated in place.
 */
import type { MlmBatch } from '../../data/batch.js';
import { float32Feed, OrtSession, type Feed, type SessionOptions } from '../../runtime/ort.js';
import type { BertConfig } from '../../model/config.js';
import { checkHostParams, paramShapes } from '../../model/onnx/bert-params.js';
import type { HostParams } from '../../core/params.js';
import type { CoordinateFactors } from '../../optim/precondition.js';
import { dropoutFeeds } from './dropout.js';
import { batchFeeds, paramFeeds } from './feeds.js';
import { TRAINING_SESSION } from './graphs.js';
import { checkOrtConfig } from './loss-and-grads.js';
import { preconditionFeeds } from './precondition-feeds.js';
import { buildStepGraph, momentNames, newParamOutput, type AdamHyper, type UpdateRule } from './step-graph.js';

export interface OrtStepOptions extends SessionOptions {
  /** The rule of each parameter (default 'sgd' for all; see step-graph.ts). */
  ruleOf?: (name: string) => UpdateRule;
  /** Adam's decays and epsilon (for 'adam' and 'graft' parameters). */
  adam?: AdamHyper;
  /** Clip the gradient to this global norm before the update (default: no clipping). */
  clipNorm?: number;
  /** Emit decoupled weight decay; step() then needs `decayByParam` (default false). */
  weightDecay?: boolean;
  /** Seeds the dropout keep-masks when config.dropout > 0 (default 0). */
  seed?: number;
  /**
   * Parameter name -> group: the step-norm groups of 'sgd' parameters (each gradient divided by its
   * group's norm) and the graft groups of 'graft' parameters (default: per tensor).
   */
  groupOf?: (name: string) => string;
  /** A fixed per-coordinate preconditioner for the 'sgd' parameters, with groupOf only (precondition.ts). */
  preconditioner?: Readonly<Record<string, CoordinateFactors>>;
  /** Adam's state to continue from (a checkpoint's): update count and the moments of every stateful parameter. */
  moments?: AdamMoments;
  /** Update parameters in place (default true; see the file comment). */
  inPlace?: boolean;
}

/** Adam's state: the update count and m, v of every parameter whose rule is 'adam' or 'graft'. */
export interface AdamMoments {
  count: number;
  m: HostParams;
  v: HostParams;
}

export interface OrtStepOptionsPerStep {
  /** Per-parameter decoupled decay (0 where a parameter does not decay); needed with weightDecay. */
  decayByParam?: Readonly<Record<string, number>>;
  /** The training step index, which labels the dropout stream (default: steps taken by this trainer). */
  step?: number;
}

/** What a graft group measured at one step: nM = ||lr u_Adam[G]||, nG = ||g[G]|| (clipped g), float64. */
export interface GraftGroupNorms {
  magnitude: number;
  grad: number;
}

export interface OrtStepResult {
  loss: number;
  accuracy: number;
  /** Global gradient norm before clipping, ||g|| over all parameters. */
  gradNorm: number;
  /** False when the loss or gradNorm is not finite (see the file comment). */
  applied: boolean;
  /** Parameters whose gradient holds a NaN or an Infinity, sorted; [] when applied. */
  nonFinite: string[];
  /** Per graft group (by group name): the norms of this step; {} without graft parameters. */
  graftNorms: Record<string, GraftGroupNorms>;
}

export interface OrtStepTrainer {
  readonly config: BertConfig;
  /** One step; `lrByParam[name]` is each parameter's learning rate at this step (eta(t) c_G(t), ...). */
  step(batch: MlmBatch, lrByParam: Readonly<Record<string, number>>, options?: OrtStepOptionsPerStep): Promise<OrtStepResult>;
  /** The current parameters: the trainer's own arrays, valid until the next step; copy them to keep them. */
  getParams(): HostParams;
  /** Adam's state (the trainer's own arrays, as getParams), or undefined without stateful parameters. */
  getMoments(): AdamMoments | undefined;
  /** Bytes of optimizer state held per parameter (the moments: 8 bytes per stateful parameter). */
  stateBytes(): number;
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

function checkOptions(o: OrtStepOptions, rules: UpdateRule[]): void {
  if (o.preconditioner && !o.groupOf) throw new Error('a preconditioner needs groupOf: it is applied with the step-norm target only');
  if (o.clipNorm !== undefined && !(o.clipNorm > 0)) throw new Error(`clipNorm = ${o.clipNorm} is invalid: expected a number > 0`);
  if (rules.some((r) => r !== 'sgd') && !o.adam) throw new Error('adam and graft parameters need the adam hyperparameters');
}

/** Zeroed moments for the stateful parameters, or a checked copy-free adoption of `stored`. */
export function initialMoments(shapes: Record<string, number[]>, stateful: string[], stored?: AdamMoments): AdamMoments {
  if (stored) {
    for (const name of stateful) {
      for (const part of ['m', 'v'] as const) {
        const a = stored[part][name];
        const size = shapes[name].reduce((x, d) => x * d, 1);
        if (!a || a.data.length !== size)
          throw new Error(`the stored Adam state has no ${part} of size ${size} for "${name}": start a new run`);
      }
    }
    return stored;
  }
  const zeros = (): HostParams =>
    Object.fromEntries(stateful.map((n) => [n, { shape: [...shapes[n]], data: new Float32Array(shapes[n].reduce((x, d) => x * d, 1)) }]));
  return { count: 0, m: zeros(), v: zeros() };
}

/** Builds and loads the step graph for `config`; see the file comment. */
export async function createOrtStepTrainer(config: BertConfig, initial: HostParams, options: OrtStepOptions = {}): Promise<OrtStepTrainer> {
  checkOrtConfig(config);
  checkHostParams(config, initial);
  const { clipNorm, weightDecay = false, seed = 0, groupOf, preconditioner, inPlace = true } = options;
  const shapes = paramShapes(config);
  const names = Object.keys(shapes);
  const rules = names.map((n) => options.ruleOf?.(n) ?? 'sgd');
  checkOptions(options, rules);
  const stateful = names.filter((_, i) => rules[i] !== 'sgd');
  const groupNames = groupOf ? names.map(groupOf) : undefined;
  const groups = groupNames?.map((g) => groupNames.indexOf(g)); // group index = first member's position
  const graftGroups = [...new Set(names.flatMap((n, i) => (rules[i] === 'graft' ? [groupNames?.[i] ?? n] : [])))];
  const own = (from: (name: string) => Float32Array): HostParams =>
    Object.fromEntries(names.map((name) => [name, { shape: [...shapes[name]], data: from(name) }]));
  let params = inPlace ? own((n) => initial[n].data) : own((n) => Float32Array.from(initial[n].data));
  let spare = inPlace ? params : own((n) => new Float32Array(initial[n].data.length));
  const moments = stateful.length > 0 ? initialMoments(shapes, stateful, options.moments) : undefined;
  const precond = preconditioner ? preconditionFeeds(shapes, preconditioner) : undefined;
  const bytes = buildStepGraph(config, {
    rules,
    adam: options.adam,
    clip: clipNorm !== undefined,
    weightDecay,
    groups,
    preconditioned: precond?.preconditioned,
    inPlace,
  });
  const session = await OrtSession.create(bytes, { ...TRAINING_SESSION, ...options }, 'the ort training step graph');
  const fetch = ['loss', 'accuracy', 'grad_norm', 'grad_sq', ...(graftGroups.length > 0 ? ['graft_norms'] : [])];
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
      if (clipNorm !== undefined) feeds.max_norm = float32Feed(Float32Array.of(clipNorm), []);
      if (config.dropout > 0) dropoutFeeds(config, batch, seed, step, feeds);
      const into: Record<string, Feed> = {};
      for (const name of names) into[newParamOutput(name)] = float32Feed(spare[name].data, spare[name].shape);
      if (moments) {
        const t = moments.count + 1; // bias corrections of this update: c1 = 1 - b1^t, c2 = 1 - b2^t
        feeds.adam_c1 = float32Feed(Float32Array.of(1 - options.adam!.beta1 ** t), []);
        feeds.adam_c2 = float32Feed(Float32Array.of(1 - options.adam!.beta2 ** t), []);
        for (const name of stateful) {
          const io = momentNames(name);
          feeds[io.m] = float32Feed(moments.m[name].data, shapes[name]);
          feeds[io.v] = float32Feed(moments.v[name].data, shapes[name]);
          into[io.newM] = feeds[io.m]; // in place: every reader of the old moment is the update itself
          into[io.newV] = feeds[io.v];
        }
      }
      taken++;
      const out = await session.runInto(feeds, into, fetch);
      const gradNorm = out.grad_norm.data[0] as number;
      const loss = out.loss.data[0] as number;
      const applied = Number.isFinite(gradNorm) && Number.isFinite(loss);
      if (applied && !inPlace) [params, spare] = [spare, params];
      if (applied && moments) moments.count += 1;
      const squares = out.grad_sq.data as Float32Array;
      const nonFinite = applied ? [] : names.filter((_, i) => !Number.isFinite(squares[i])).sort();
      const graftNorms: Record<string, GraftGroupNorms> = {};
      const table = out.graft_norms?.data as Float64Array | undefined;
      graftGroups.forEach((g, k) => {
        graftNorms[g] = { magnitude: table![2 * k], grad: table![2 * k + 1] };
      });
      return { loss, accuracy: out.accuracy.data[0] as number, gradNorm, applied, nonFinite, graftNorms };
    },
    getParams: () => params,
    getMoments: () => moments,
    stateBytes: () => (moments ? stateful.reduce((n, name) => n + 8 * moments.m[name].data.length, 0) : 0),
    dispose: () => session.release(),
  };
}
