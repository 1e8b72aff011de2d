/**
 * The one training loop. The probe (`extract`) and the trainer (`train`) both run it; they differ only
 * in the optimizer value passed in (graft(adam, sgd) vs scheduled SGD, Adam, ...).
 *
 * Each step t = startStep .. steps-1:
 *   batch = batchAt(t)                          // deterministic from (seed, t): resuming replays the same data
 *   loss, g = engine.lossAndGrads(w, batch, t)
 *   stop if loss or any g is NaN/Inf            // error names the step and the parameters; no update applied
 *   [u, s] = opt.update(g, s, w);  w = w + u    // one tf.tidy; old w, s and g disposed
 *   onStep(record), then evaluation and checkpoint when due, then shouldStop()
 *
 * The control flow (records, evaluation, checkpoints, stop) is `runSteps`, shared with the fused ort
 * step (src/run/train/fused.ts), which replaces the middle two lines by one onnxruntime run.
 */
import { checkInt } from '../../core/options/validate.js';
import type * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../../data/batch.js';
import type { Engine } from '../../engine/types.js';
import type { Optimizer } from '../../optim/base.js';
import { disposeState, optimizerStep } from '../../optim/state.js';
import { disposeParams, toHost, type GroupOf, type HostParams, type ParamMap } from '../../core/params.js';
import { toHostTree, type HostTree } from './state.js';
import { nonFiniteGrads } from './step.js';

/** What one step measured. `lr` is lrAt(step) (NaN when no lrAt is given). */
export interface StepRecord {
  step: number;
  loss: number;
  accuracy: number;
  lr: number;
  /** Wall time of the step: gradients, checks, update. */
  ms: number;
  /** Input tokens of the batch (B * T). */
  tokens: number;
  /** Held-out metrics when an evaluation ran after this step. */
  eval?: Record<string, number>;
}

/** Everything needed to resume, as host arrays valid until the next step: written by the caller as a checkpoint. */
export interface LoopSnapshot {
  /** Number of steps completed; resuming starts at this step. */
  step: number;
  params: HostParams;
  optimizerState: HostTree;
  /** Why the snapshot was taken. */
  reason: 'periodic' | 'stop' | 'final';
}

export interface TrainLoopOptions<S> {
  engine: Engine;
  /** Initial parameters. CONSUMED: the loop disposes them as it replaces them. */
  params: ParamMap;
  optimizer: Optimizer<S>;
  /** State to resume from (CONSUMED); defaults to optimizer.init(params). */
  optimizerState?: S;
  /** The batch of step t; must depend only on (seed, t) for resume to be exact. */
  batchAt(step: number): MlmBatch;
  /** First step to run (0, or the checkpoint's step when resuming). */
  startStep?: number;
  /** Length of the whole run: the loop runs steps startStep .. steps-1. */
  steps: number;
  /** Evaluate after every `evalEvery` completed steps (needs `evaluate`). */
  evalEvery?: number;
  /** Held-out metrics for the current parameters (borrows them). */
  evaluate?(params: ParamMap): Promise<Record<string, number>>;
  /** Snapshot after every `checkpointEvery` completed steps, on stop, and at the end (needs onCheckpoint). */
  checkpointEvery?: number;
  onCheckpoint?(snapshot: LoopSnapshot): void | Promise<void>;
  /** Called after every step with the record and the new optimizer state (borrowed: read, do not keep). */
  onStep?(record: StepRecord, state: S): void | Promise<void>;
  /** Polled after each step; true ends the run cleanly (snapshot with reason 'stop'). */
  shouldStop?(): boolean;
  /** The base learning rate at a step, for the records only. */
  lrAt?(step: number): number;
  /** Names the group of a bad parameter in the non-finite error (default: the parameter itself). */
  groupOf?: GroupOf;
}

export interface TrainLoopResult<S> {
  /** Final parameters and state, owned by the caller. */
  params: Record<string, tf.Tensor>;
  optimizerState: S;
  /** Number of steps completed (== steps unless stopped). */
  step: number;
  stopped: boolean;
}

/** A NaN or Infinity in the loss or a gradient. The loop has already freed its tensors. */
export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly what: string[],
    message: string,
  ) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

/**
 * One kind of training step, driven by runSteps: the generic one (engine gradients + optimizer in tfjs,
 * trainLoop below) or the fused ort step (src/run/train/fused.ts). It owns the parameters and the state.
 */
export interface Stepper {
  /** Runs step t on `batch`. Throws NonFiniteError, with nothing applied, when the loss or a gradient is not finite. */
  step(batch: MlmBatch, step: number): Promise<{ loss: number; accuracy: number }>;
  /** Held-out metrics of the current parameters (needed with evalEvery). */
  evaluate?(): Promise<Record<string, number>>;
  /**
   * The current parameters and optimizer state as host arrays (for a checkpoint): copies, or views of the
   * stepper's own arrays that stay valid until its next step (the fused step's, so that a checkpoint of a
   * large model does not hold a second copy of it).
   */
  snapshot(): { params: HostParams; optimizerState: HostTree };
}

/** What runSteps needs besides the stepper: the fields of TrainLoopOptions that do not touch tensors. */
export interface StepControl {
  batchAt(step: number): MlmBatch;
  startStep?: number;
  steps: number;
  evalEvery?: number;
  checkpointEvery?: number;
  onCheckpoint?(snapshot: LoopSnapshot): void | Promise<void>;
  /** Called after every step with its record. */
  onStep?(record: StepRecord): void | Promise<void>;
  shouldStop?(): boolean;
  lrAt?(step: number): number;
}

function checkOptions(o: StepControl, startStep: number, canEvaluate: boolean): void {
  const int = (name: string, v: number | undefined, min: number): void => {
    if (v !== undefined) checkInt('trainLoop', name, v, min);
  };
  int('steps', o.steps, 0);
  int('startStep', startStep, 0);
  int('evalEvery', o.evalEvery, 1);
  int('checkpointEvery', o.checkpointEvery, 1);
  if (startStep > o.steps) throw new Error(`trainLoop: startStep = ${startStep} is past steps = ${o.steps}`);
  if (o.evalEvery !== undefined && !canEvaluate) throw new Error('trainLoop: evalEvery needs an evaluate function');
}

/**
 * The step-failure message; `groupOf` names the group of each bad parameter. `inPlace`: the step updated
 * the parameters in place (the fused ort step), so the tensors with a finite gradient already moved in
 * memory; nothing of it is saved.
 */
export function nonFiniteMessage(step: number, loss: number, bad: string[], groupOf?: GroupOf, inPlace = false): string {
  const stopped = inPlace ? 'stopped (that step is not saved)' : 'stopped before applying the step';
  if (bad.length === 0) return `step ${step}: the loss is ${loss}; ${stopped}`;
  const named = bad.slice(0, 4).map((n) => (groupOf && groupOf(n) !== n ? `${n} (group ${groupOf(n)})` : n));
  const more = bad.length > 4 ? ` and ${bad.length - 4} more` : '';
  return (
    `step ${step}: non-finite gradient (NaN or Infinity) in ${named.join(', ')}${more}; loss ${loss}; ` +
    `${stopped}: lower the learning rate or resume from the last checkpoint`
  );
}

/**
 * Steps startStep .. steps-1 with `stepper`: after each step the record (onStep), then evaluation and
 * checkpoint when due, then shouldStop(). Returns the steps completed and whether a stop ended the run.
 * Errors (NonFiniteError included) propagate; the caller frees what the stepper holds.
 */
export async function runSteps(o: StepControl, stepper: Stepper): Promise<{ step: number; stopped: boolean }> {
  let step = o.startStep ?? 0;
  checkOptions(o, step, stepper.evaluate !== undefined);
  const snap = (reason: LoopSnapshot['reason']): LoopSnapshot => ({ step, ...stepper.snapshot(), reason });
  while (step < o.steps) {
    const started = performance.now();
    const batch = o.batchAt(step);
    const { loss, accuracy } = await stepper.step(batch, step);
    const record: StepRecord = {
      step,
      loss,
      accuracy,
      lr: o.lrAt ? o.lrAt(step) : NaN,
      ms: performance.now() - started,
      tokens: batch.batchSize * batch.seqLen,
    };
    step += 1;
    if (stepper.evaluate && o.evalEvery && step % o.evalEvery === 0) record.eval = await stepper.evaluate();
    await o.onStep?.(record);
    const stop = step < o.steps && (o.shouldStop?.() ?? false);
    if (o.onCheckpoint) {
      if (stop) await o.onCheckpoint(snap('stop'));
      else if (step === o.steps) await o.onCheckpoint(snap('final'));
      else if (o.checkpointEvery && step % o.checkpointEvery === 0) await o.onCheckpoint(snap('periodic'));
    }
    if (stop) return { step, stopped: true };
  }
  return { step, stopped: false };
}

/** The generic step as a Stepper, plus access to what it holds (owned by the stepper until taken). */
export interface GenericStepper<S> extends Stepper {
  params(): ParamMap;
  state(): S;
}

/**
 * The generic step: loss and gradients from the engine, then [u, s] = opt.update(g, s, w); w = w + u in
 * one tf.tidy. CONSUMES `params` and `state` (each step disposes the old ones); the caller frees the
 * final ones (params(), state()). No evaluate: the caller adds it.
 */
export function genericStepper<S>(
  engine: Engine,
  optimizer: Optimizer<S>,
  params: ParamMap,
  state: S,
  groupOf?: GroupOf,
): GenericStepper<S> {
  return {
    async step(batch, step) {
      const { loss, accuracy, grads } = await engine.lossAndGrads(params, batch, step);
      const bad = nonFiniteGrads(grads);
      if (!Number.isFinite(loss) || bad.length > 0) {
        disposeParams(grads);
        throw new NonFiniteError(step, bad, nonFiniteMessage(step, loss, bad, groupOf));
      }
      let next;
      try {
        next = optimizerStep(optimizer, params, grads, state);
      } finally {
        disposeParams(grads);
      }
      params = next.params;
      state = next.state;
      return { loss, accuracy };
    },
    snapshot: () => ({ params: toHost(params), optimizerState: toHostTree(state) }),
    params: () => params,
    state: () => state,
  };
}

/** Runs the loop; see the file comment. Consumes `params` and `optimizerState`; returns the final ones. */
export async function trainLoop<S>(o: TrainLoopOptions<S>): Promise<TrainLoopResult<S>> {
  if (o.evalEvery !== undefined && !o.evaluate) throw new Error('trainLoop: evalEvery needs an evaluate function');
  const generic = genericStepper(o.engine, o.optimizer, o.params, o.optimizerState ?? o.optimizer.init(o.params), o.groupOf);
  const stepper: Stepper = { ...generic, evaluate: o.evaluate && (() => o.evaluate!(generic.params())) };
  try {
    const { step, stopped } = await runSteps({ ...o, onStep: o.onStep && ((record) => o.onStep!(record, generic.state())) }, stepper);
    return { params: generic.params() as Record<string, tf.Tensor>, optimizerState: generic.state(), step, stopped };
  } catch (err) {
    disposeParams(generic.params());
    disposeState(generic.state());
    throw err;
  }
}
