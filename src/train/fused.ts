/**
 * The fused training step: with the ort engine and a stateless SGD optimizer, one onnxruntime run computes
 * the loss, the gradients and the updated parameters (src/engine/ort/sgd-trainer.ts), instead of the
 * generic step (gradients copied into tfjs, optimizer arithmetic in tfjs). The parameters stay host arrays
 * owned by the trainer. The same loop control runs both (runSteps in loop.ts): records, evaluation,
 * checkpoints, stop requests and the non-finite stop behave alike.
 *
 * Fusable runs and what one step computes (eta(t) the base schedule, s the schedule scale):
 *   sgd:                       w <- w (1 - eta wd) - eta clip(g)
 *   static, target multiplier: w[G] <- w[G] (1 - eta wd) - eta s c_G(t) clip(g)[G]
 *   static, target stepNorm:   w[G] <- w[G] (1 - eta wd) - eta s m_G(t) g[G] / ||g[G]||   (no clipping, as the generic path)
 *   static, stepNorm with the artifact's factored preconditioner P (fixed):
 *                              d = P * g;  w[G] <- w[G] (1 - eta wd) - eta s m_G(t) d[G] / ||d[G]||
 */
import type { MlmBatch } from '../data/batch.js';
import type { PreparedData } from '../data/prepare.js';
import { createOrtEvaluator } from '../engine/ort/evaluator.js';
import { createOrtSgdTrainer, type OrtSgdTrainer } from '../engine/ort/sgd-trainer.js';
import type { BertConfig } from '../model/config.js';
import type { Schedule } from '../optim/base.js';
import type { CoordinateFactors } from '../optim/precondition.js';
import type { GroupOf, HostParams } from '../params.js';
import type { Artifact } from '../schedule/artifact.js';
import { artifactGroupOf, multiplierFn } from '../schedule/interpolate.js';
import { NonFiniteError, nonFiniteMessage, type Stepper } from './loop.js';
import { evaluateSplits, heldoutBatches, type HeldoutMetrics } from './setup.js';
import type { HostTree } from './state.js';
import { groupScale, type TrainOptions } from './train-options.js';

/** What the engine line says for a fused run. */
export const FUSED_ENGINE = 'ort (fused SGD step)';

export interface FusedPlan {
  /** 'gradient': the step follows (clipped) g; 'stepNorm': g[G] / ||g[G]||. */
  target: 'gradient' | 'stepNorm';
  clipNorm?: number;
  weightDecay: number;
  /** Parameter -> group, for the step-norm target. */
  groupOf?: GroupOf;
  /** The artifact's fixed per-coordinate preconditioner (step-norm target only). */
  preconditioner?: Readonly<Record<string, CoordinateFactors>>;
  /** The per-parameter learning rate at step t: eta(t) for sgd, eta(t) s c_G(t) for static. */
  lrAt(name: string, step: number): number;
  /** The base schedule eta(t) (the decay rate is eta(t) wd). */
  eta: Schedule;
}

/** The plan of a fused run, or undefined when the run needs the generic step (see the file comment). */
export function fusedStepPlan(o: TrainOptions, eta: Schedule, artifact?: Artifact): FusedPlan | undefined {
  if (o.engine !== 'ort') return undefined;
  if (o.optimizer === 'sgd') {
    return { target: 'gradient', clipNorm: o.clipNorm, weightDecay: o.weightDecay, lrAt: (_, t) => eta(t), eta };
  }
  if (o.optimizer !== 'static' || artifact === undefined || o.momentum !== undefined) return undefined; // momentum: a buffer, the generic step
  const options = artifact.compression.options;
  const factored = options.preconditioner !== undefined && options.preconditioner !== 'none';
  if (factored && (options.target !== 'stepNorm' || !artifact.preconditioner)) return undefined; // the generic path explains
  const c = multiplierFn(artifact, o.steps);
  const groupOf = artifactGroupOf(artifact);
  const lrAt = (name: string, t: number): number => {
    const m = c(groupOf(name), t);
    if (!Number.isFinite(m) || m < 0) {
      throw new Error(`train: multiplier("${groupOf(name)}", ${t}) = ${m} is invalid: expected a finite number >= 0`);
    }
    return eta(t) * groupScale(o, groupOf(name)) * m;
  };
  if (options.target === 'stepNorm') {
    return { target: 'stepNorm', weightDecay: o.weightDecay, groupOf, lrAt, eta, preconditioner: factored ? artifact.preconditioner!.params : undefined };
  }
  return { target: 'gradient', clipNorm: o.clipNorm, weightDecay: o.weightDecay, lrAt, eta };
}

/**
 * The optimizer state after `steps` more updates of a stateless optimizer: every `count` in the tree
 * advanced by `steps` (what scaleByLearningRate, scaleByGroup and the chain around them do). Throws
 * when the tree holds anything but counts and empty blocks (tensors, other numbers).
 */
export function advanceCounts(tree: HostTree, steps: number, path = 'state'): HostTree {
  if (Array.isArray(tree)) return tree.map((v, i) => advanceCounts(v, steps, `${path}[${i}]`));
  if (tree !== null && typeof tree === 'object') {
    const out: Record<string, HostTree> = {};
    for (const [key, value] of Object.entries(tree)) {
      if (key === 'count' && typeof value === 'number') out[key] = value + steps;
      else if (value !== null && typeof value === 'object' && !('$tensor' in value)) out[key] = advanceCounts(value, steps, `${path}.${key}`);
      else throw new Error(`${path}.${key}: the fused step keeps no optimizer state but step counts; found ${JSON.stringify(value).slice(0, 40)}`);
    }
    return out;
  }
  throw new Error(`${path}: the fused step keeps no optimizer state but step counts; found ${JSON.stringify(tree)}`);
}

/** What runTraining steps with: the generic or the fused step, plus its held-out evaluation. */
export interface RunStepper extends Stepper {
  /** The engine line of the run: 'tfjs', 'ort', 'custom' or FUSED_ENGINE. */
  readonly engine: string;
  /** Held-out metrics of the current parameters. */
  evaluateHeldout(): Promise<HeldoutMetrics>;
  /** Bytes of tensors in the current optimizer state (0 on the fused path). */
  stateBytes(): number;
  /** Frees parameters, state, sessions. */
  dispose(): Promise<void>;
}

export interface FusedStepperOptions {
  /** Initial parameters (copied by the trainer). */
  initial: HostParams;
  /** The optimizer state at the first step (step counts only), as stored in checkpoints. */
  state: HostTree;
  /** Seeds dropout, as the ort engine does. */
  seed: number;
  evaluator: HostEvaluator;
}

/** Builds the fused trainer for `plan` as a RunStepper. Takes ownership of `o.evaluator`. */
export async function createFusedStepper(config: BertConfig, plan: FusedPlan, o: FusedStepperOptions): Promise<RunStepper> {
  advanceCounts(o.state, 0); // refuse a state that is not counts only, before any work
  const trainer: OrtSgdTrainer = await createOrtSgdTrainer(config, o.initial, {
    clipNorm: plan.clipNorm, weightDecay: plan.weightDecay > 0, seed: o.seed, normalizeBy: plan.groupOf, preconditioner: plan.preconditioner,
  });
  const names = Object.keys(o.initial);
  let taken = 0;
  return {
    engine: FUSED_ENGINE,
    async step(batch: MlmBatch, t: number) {
      const lr: Record<string, number> = {}, decay: Record<string, number> = {};
      for (const name of names) {
        lr[name] = plan.lrAt(name, t);
        decay[name] = plan.eta(t) * plan.weightDecay; // eta(t) wd for every parameter, as addDecayedWeights' default
      }
      const r = await trainer.step(batch, lr, { decayByParam: plan.weightDecay > 0 ? decay : undefined, step: t });
      if (!r.applied) throw new NonFiniteError(t, r.nonFinite, nonFiniteMessage(t, r.loss, r.nonFinite));
      taken++;
      return { loss: r.loss, accuracy: r.accuracy };
    },
    snapshot() {
      const p = trainer.getParams(); // reused by later steps: copy
      const params: HostParams = {};
      for (const name of names) params[name] = { shape: [...p[name].shape], data: Float32Array.from(p[name].data) };
      return { params, optimizerState: advanceCounts(o.state, taken) };
    },
    evaluateHeldout: () => o.evaluator.evaluate(trainer.getParams()),
    stateBytes: () => 0,
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
