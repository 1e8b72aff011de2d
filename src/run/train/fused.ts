/**
 * The fused training step: with the ort engine, one onnxruntime run computes the loss, the gradients and
 * the updated parameters (src/engine/ort/step-trainer.ts), for every optimizer but static with momentum;
 * adam and graft take the gradients of that run and update in typed-array loops right after it
 * (src/engine/ort/host-adam-trainer.ts), which peaks lower. Parameters and Adam's moments live once, in
 * host arrays owned by the trainer and updated in place; nothing passes through tfjs. The same loop
 * control runs the fused and the generic step (runSteps in loop.ts): records, evaluation, checkpoints, stop
 * requests and the non-finite stop behave alike.
 *
 * What one step computes (eta(t) the base schedule, s the schedule scale, wd the weight decay):
 *   sgd:                       w <- w (1 - eta wd) - eta clip(g)
 *   static, target multiplier: w[G] <- w[G] (1 - eta wd) - eta s c_G(t) clip(g)[G]
 *   static, target stepNorm:   w[G] <- w[G] (1 - eta wd) - eta s m_G(t) d[G] / ||d[G]||   d = P g (P = 1 without
 *                              the artifact's factored preconditioner; no clipping, as the generic path)
 *   adam:                      Adam (AdamW when wd > 0) at eta(t) on clip(g)
 *   graft:                     Adam#SGD per tensor at eta(t) on clip(g)
 *   hybrid:                    Adam at eta(t) a / eta_peak for LayerNorm and biases, static for the rest
 */
import type { MlmBatch } from '../../data/batch.js';
import type { PreparedData } from '../../data/prepare.js';
import { createOrtEvaluator } from '../../engine/ort/evaluator.js';
import type { AdamHyper, UpdateRule } from '../../engine/ort/step-graph.js';
import { createOrtStepTrainer, type AdamMoments, type OrtStepResult } from '../../engine/ort/step-trainer.js';
import { createHostAdamTrainer } from '../../engine/ort/host-adam-trainer.js';
import type { BertConfig } from '../../model/config.js';
import type { Schedule } from '../../optim/base.js';
import type { CoordinateFactors } from '../../optim/precondition.js';
import { perTensor, type GroupOf, type HostParams } from '../../core/params.js';
import type { ScheduleRule } from '../../schedule/rule.js';
import { NonFiniteError, nonFiniteMessage, type Stepper } from './loop.js';
import { evaluateSplits, heldoutBatches, type HeldoutMetrics } from './setup.js';
import { checkHostArray, hostArrayValues, type HostArray, type HostTree } from './state.js';
import { isVectorParam, type TrainOptimizerName, type TrainOptions } from './train-options.js';

/** What the engine line says for a fused stateless run (sgd, static). */
export const FUSED_ENGINE = 'ort (fused SGD step)';

/** The engine line of a fused run: FUSED_ENGINE, or 'ort (fused adam step)' etc. for the stateful ones. */
export function fusedEngineName(plan: FusedPlan): string {
  return plan.stateful ? `ort (fused ${plan.optimizer} step)` : FUSED_ENGINE;
}

export interface FusedPlan {
  optimizer: TrainOptimizerName;
  /** True when some parameter keeps Adam's moments (adam, graft, hybrid). */
  stateful: boolean;
  /** The update rule of each parameter (src/engine/ort/step-graph.ts). */
  ruleOf(name: string): UpdateRule;
  adam?: AdamHyper;
  clipNorm?: number;
  /** Parameter -> group: step-norm groups of the static schedule, graft groups. */
  groupOf?: GroupOf;
  /** The artifact's fixed per-coordinate preconditioner (step-norm target only). */
  preconditioner?: Readonly<Record<string, CoordinateFactors>>;
  /** The per-parameter learning rate at step t: eta(t) for sgd/adam/graft, eta(t) s c_G(t) for static. */
  lrAt(name: string, step: number): number;
  /** The per-parameter decoupled decay at step t (e.g. eta(t) wd), or undefined without weight decay. */
  decayAt?(name: string, step: number): number;
  /** The base schedule eta(t). */
  eta: Schedule;
  /**
   * Set for adam and graft: their update runs with this rule in typed-array loops over the host arrays after
   * the gradient run (lower peak memory, since onnxruntime-node copies every output of a run; host-adam.ts).
   * Unset: the update runs inside the onnxruntime run.
   */
  hostRule?: 'adam' | 'graft';
}

type StaticPart = Pick<FusedPlan, 'groupOf' | 'preconditioner' | 'lrAt' | 'clipNorm'>;

/** The static schedule's part of a plan (static, hybrid): the rule's rates, grouping and preconditioner. */
function staticPart(o: TrainOptions, rule: ScheduleRule): StaticPart {
  const lrAt = (name: string, t: number): number => rule.rate(rule.groupOf(name), t); // eta(t) s c_G(t)
  if (rule.target === 'stepNorm') return { groupOf: rule.groupOf, lrAt, preconditioner: rule.preconditioner };
  return { lrAt, clipNorm: o.clipNorm };
}

/** The plan of a fused run, or undefined when the run needs the generic step (tfjs engine, momentum). */
export function fusedStepPlan(o: TrainOptions, eta: Schedule, rule?: ScheduleRule): FusedPlan | undefined {
  if (o.engine !== 'ort' || o.momentum !== undefined) return undefined; // momentum: a buffer, the generic step
  const adam: AdamHyper = { beta1: o.beta1, beta2: o.beta2, eps: o.eps };
  const decayAt = o.weightDecay > 0 ? (_: string, t: number) => eta(t) * o.weightDecay : undefined; // every parameter, as addDecayedWeights' default
  const base = { optimizer: o.optimizer, eta, decayAt };
  switch (o.optimizer) {
    case 'sgd':
      return { ...base, stateful: false, ruleOf: () => 'sgd', clipNorm: o.clipNorm, lrAt: (_, t) => eta(t) };
    case 'adam':
      return { ...base, hostRule: 'adam', stateful: true, ruleOf: () => 'adam', adam, clipNorm: o.clipNorm, lrAt: (_, t) => eta(t) };
    case 'graft':
      return {
        ...base,
        hostRule: 'graft',
        stateful: true,
        ruleOf: () => 'graft',
        adam,
        clipNorm: o.clipNorm,
        groupOf: perTensor,
        lrAt: (_, t) => eta(t),
      };
    case 'static':
      return rule && { ...base, stateful: false, ruleOf: () => 'sgd', ...staticPart(o, rule) };
    case 'hybrid': {
      const part = rule && staticPart(o, rule);
      const peak = (eta as { spec?: { peakLr?: number } }).spec?.peakLr;
      if (!part || !(typeof peak === 'number' && peak > 0)) return undefined; // the generic path explains
      const adamRate = (t: number) => (eta(t) * o.hybridAdamLr!) / peak; // eta(t) a / eta_peak
      return {
        // the step trainer applies the preconditioner to the 'sgd' tensors alone, as the generic hybrid's static part
        ...base,
        stateful: true,
        adam,
        ...part,
        clipNorm: o.clipNorm,
        ruleOf: (n) => (isVectorParam(n) ? 'adam' : 'sgd'),
        lrAt: (n, t) => (isVectorParam(n) ? adamRate(t) : part.lrAt(n, t)),
        decayAt: o.weightDecay > 0 ? (n, t) => (isVectorParam(n) ? adamRate(t) : eta(t)) * o.weightDecay : undefined,
      };
    }
  }
}

/**
 * Checks the stored state of a stateless fused run: it keeps none ({}), and older checkpoints hold the
 * generic optimizer's step counts (the step is stored beside them), which carry nothing it needs. Throws
 * when the tree holds anything but counts and empty blocks (tensors, other numbers): another run's state.
 */
export function checkStatelessState(tree: HostTree, path = 'state'): void {
  if (Array.isArray(tree)) return tree.forEach((v, i) => checkStatelessState(v, `${path}[${i}]`));
  if (tree !== null && typeof tree === 'object') {
    for (const [key, value] of Object.entries(tree)) {
      if (key === 'count' && typeof value === 'number') continue;
      if (value !== null && typeof value === 'object' && !('$tensor' in value)) checkStatelessState(value, `${path}.${key}`);
      else throw new Error(`${path}.${key}: the fused step keeps no optimizer state; found ${JSON.stringify(value).slice(0, 40)}`);
    }
    return;
  }
  throw new Error(`${path}: the fused step keeps no optimizer state; found ${JSON.stringify(tree)}`);
}

/** What runTraining steps with: the generic or the fused step, plus its held-out evaluation. */
export interface RunStepper extends Stepper {
  /** The engine line of the run: 'tfjs', 'ort', 'custom' or FUSED_ENGINE. */
  readonly engine: string;
  /** Held-out metrics of the current parameters. */
  evaluateHeldout(): Promise<HeldoutMetrics>;
  /** Bytes of per-parameter optimizer state (0 for stateless optimizers). */
  stateBytes(): number;
  /** The fused path's host parameters and Adam state (borrowed); undefined on the generic path. */
  hostParams?(): HostParams;
  hostMoments?(): AdamMoments | undefined;
  /** Frees parameters, state, sessions. */
  dispose(): Promise<void>;
}

export interface FusedStepperOptions {
  /** Initial parameters: ADOPTED by the trainer, which updates these arrays in place (one set of parameters). */
  initial: HostParams;
  /**
   * The optimizer state at the first step, as stored in checkpoints: the Adam state of a stateful plan
   * (fusedAdamState), undefined for a new run; for a stateless plan only checked (checkStatelessState).
   */
  state?: HostTree;
  /** Seeds dropout, as the ort engine does. */
  seed: number;
  evaluator: HostEvaluator;
  /** Called after every applied step with its result (the probe reads the graft norms here). */
  onResult?(step: number, result: OrtStepResult): void;
}

/** Marker key of the fused Adam state in a checkpoint's optimizer state. */
const FUSED_STATE = 'fusedAdam';

/** The fused Adam state as a checkpoint tree: {fusedAdam: {count, m: {name: tensor}, v: {...}}}; borrows the arrays. */
function fusedAdamState(moments: AdamMoments): HostTree {
  const tensors = (p: HostParams): HostTree =>
    Object.fromEntries(
      Object.keys(p)
        .sort()
        .map((name) => {
          const { shape, data } = p[name];
          const array: HostArray = { dtype: 'f32', shape: [...shape], data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
          return [name, { $tensor: array as unknown as HostTree }];
        }),
    );
  return { [FUSED_STATE]: { count: moments.count, m: tensors(moments.m), v: tensors(moments.v) } };
}

/** The Adam state stored by fusedAdamState; throws a one-line error for any other tree. */
function readFusedAdamState(tree: HostTree): AdamMoments {
  const refuse = (): never => {
    throw new Error('the checkpoint holds no fused Adam state (it was written by another engine or optimizer): start a new run');
  };
  const body = (tree as Record<string, HostTree> | null)?.[FUSED_STATE] as Record<string, HostTree> | undefined;
  if (!body || typeof body !== 'object' || !Number.isInteger(body.count)) refuse();
  const arrays = (part: 'm' | 'v'): HostParams =>
    Object.fromEntries(
      Object.entries((body![part] ?? refuse()) as Record<string, HostTree>).map(([name, node]) => {
        const a = checkHostArray((node as Record<string, unknown>).$tensor, `optimizerState.${part}.${name}`);
        return [name, { shape: a.shape, data: hostArrayValues(a) as Float32Array }];
      }),
    );
  return { count: body!.count as number, m: arrays('m'), v: arrays('v') };
}

/**
 * Builds the fused trainer for `plan` as a RunStepper. Takes ownership of `o.initial` (updated in place)
 * and `o.evaluator`. A step whose loss or gradient is not finite throws NonFiniteError; the parameters in
 * memory are then partly updated (step-trainer.ts) and the run must stop, as runTraining does.
 */
export async function createFusedStepper(config: BertConfig, plan: FusedPlan, o: FusedStepperOptions): Promise<RunStepper> {
  if (!plan.stateful && o.state !== undefined) checkStatelessState(o.state); // refuse another run's state, before any work
  const stored = plan.stateful && o.state !== undefined ? readFusedAdamState(o.state) : undefined;
  const weightDecay = plan.decayAt !== undefined;
  const trainer = plan.hostRule
    ? await createHostAdamTrainer(config, o.initial, {
        rule: plan.hostRule,
        adam: plan.adam!,
        groupOf: plan.groupOf,
        clipNorm: plan.clipNorm,
        weightDecay,
        seed: o.seed,
        moments: stored,
      })
    : await createOrtStepTrainer(config, o.initial, {
        ruleOf: plan.ruleOf,
        adam: plan.adam,
        clipNorm: plan.clipNorm,
        weightDecay,
        seed: o.seed,
        groupOf: plan.groupOf,
        preconditioner: plan.preconditioner,
        moments: stored,
        inPlace: true,
      });
  const names = Object.keys(o.initial);
  return {
    engine: fusedEngineName(plan),
    async step(batch: MlmBatch, t: number) {
      const lr: Record<string, number> = {},
        decay: Record<string, number> = {};
      for (const name of names) {
        lr[name] = plan.lrAt(name, t);
        if (plan.decayAt) decay[name] = plan.decayAt(name, t);
      }
      const r = await trainer.step(batch, lr, { decayByParam: plan.decayAt ? decay : undefined, step: t });
      if (!r.applied) throw new NonFiniteError(t, r.nonFinite, nonFiniteMessage(t, r.loss, r.nonFinite, undefined, true));
      o.onResult?.(t, r);
      return { loss: r.loss, accuracy: r.accuracy };
    },
    // Borrowed: the trainer's own arrays, valid until the next step (a checkpoint is written before it).
    snapshot: () => ({
      params: trainer.getParams(),
      optimizerState: plan.stateful ? fusedAdamState(trainer.getMoments()!) : {},
    }),
    evaluateHeldout: () => o.evaluator.evaluate(trainer.getParams()),
    stateBytes: () => trainer.stateBytes(),
    hostParams: () => trainer.getParams(),
    hostMoments: () => trainer.getMoments(),
    async dispose() {
      await trainer.dispose();
      await o.evaluator.dispose();
    },
  };
}

export interface HostEvaluator {
  evaluate(params: HostParams): Promise<HeldoutMetrics>;
  dispose(): Promise<void>;
}

/**
 * Held-out metrics of host parameters on onnxruntime: the same fixed batches as runEvaluator in setup.ts
 * (seed EVAL_SEED, evalSequences per split), so fused and generic runs report comparable numbers.
 */
export function hostEvaluator(o: TrainOptions, data: PreparedData, config: BertConfig): HostEvaluator {
  const batches = heldoutBatches(o, data);
  const ort = createOrtEvaluator(config);
  return {
    evaluate: (params) => evaluateSplits(batches, (b) => ort.evaluate(params, b)),
    dispose: () => ort.dispose(),
  };
}
