/**
 * The grafted probe, Adam#SGD, on the shared training loop (phase one of DESIGN.md section 1).
 *
 *   eta(t)  = base schedule (warmup + decay laid out for the planned training length totalSteps)
 *   M       = adam({lr: eta, beta1, beta2, eps})        magnitude: the step length Adam would take
 *   D       = sgd({lr: eta})                            direction: stateless SGD, what phase two runs
 *   opt     = graft({magnitude: M, direction: D, groupOf})
 *
 * After every k-th step the probe reads the graft state's per-group norms of that step (nothing is
 * recomputed) and appends a trace sample per group G:
 *   ||u_Adam[G]||, ||u_SGD[G]||, ||g[G]||, ratio = ||u_Adam[G]|| / ||u_SGD[G]||,
 *   c_G(t) = ||u_Adam[G]|| / (eta(t) ||g[G]||)        (the trace recorder derives ratio, c and validity)
 * With D's rate equal to eta(t), ratio and c coincide; c is what the artifact stores.
 * At the end the trace also gets Adam's bias-corrected second moments, factored (second-moments.ts), from
 * which compression can build a fixed per-coordinate preconditioner, and each group's stability limit along
 * its SGD direction (stability-limits.ts), against which compression can cap the steps, when asked
 * (stabilityBatches > 0; a stopped probe skips them).
 */
import type { MlmBatch } from '../../data/batch.js';
import type { Engine } from '../../engine/types.js';
import { adam, sgd } from '../../optim/alias.js';
import type { Schedule } from '../../optim/base.js';
import { graft, type GraftState } from '../../optim/graft.js';
import { baseSchedule, type BaseScheduleOptions } from '../../optim/schedule-spec.js';
import type { BaseScheduleSpec } from '../../optim/schedules.js';
import { perTensor, type GroupOf, type HostParams, type ParamMap } from '../../core/params.js';
import type { ModelInfo, ProbeInfo } from '../../schedule/model-info.js';
import { traceRecorder, type GroupStepNorms, type Trace } from '../../schedule/trace.js';
import { NonFiniteError, nonFiniteMessage, runSteps, trainLoop, type StepRecord } from '../train/loop.js';
import { createOrtStepTrainer } from '../../engine/ort/step-trainer.js';
import { createHostAdamTrainer } from '../../engine/ort/host-adam-trainer.js';
import type { BertConfig } from '../../model/config.js';
import { disposeState } from '../../optim/state.js';
import { factoredSecondMoments, hostSecondMoments, probeSecondMoments } from './second-moments.js';
import type { Magnitude } from '../../engine/ort/host-factored.js';
import { checkInt } from '../../core/options/validate.js';
import { measureStabilityLimits, measureStabilityLimitsOnHost, peakStepLengths } from './stability-limits.js';
import { createHostLossModel } from '../../engine/ort/host-loss.js';
import { disposeParams } from '../../core/params.js';

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
}

export interface GraftProbeOptions {
  engine: Engine;
  /** Initial parameters; CONSUMED (the loop replaces and disposes them). */
  params: ParamMap;
  batchAt(step: number): MlmBatch;
  /** Probe length: the loop runs steps 0 .. probeSteps-1. */
  probeSteps: number;
  /** The base schedule eta(t), laid out for the planned training length. */
  schedule: BaseScheduleOptions;
  adam: AdamHyper;
  groupOf?: GroupOf;
  /** Record a trace sample after every `recordEvery`-th step (steps 0, k, 2k, ...). */
  recordEvery?: number;
  /** Model description (parameter groups in trace column order) and provenance for the trace. */
  model: ModelInfo;
  provenance: Omit<ProbeInfo, 'magnitude' | 'direction' | 'baseSchedule' | 'steps' | 'totalSteps'>;
  onStep?(record: StepRecord): void | Promise<void>;
  /** Batches the stability limits are averaged over (stability-limits.ts); 0 (default) skips them. */
  stabilityBatches?: number;
  /** Called once before the stability limits are measured (they take a few seconds after the last step). */
  onMeasureStart?(info: { groups: number; batches: number }): void;
  shouldStop?(): boolean;
}

export interface GraftProbeResult {
  trace: Trace;
  /** Steps actually run (probeSteps unless stopped). */
  steps: number;
  stopped: boolean;
}

/** The probe's optimizer: graft(adam(eta), sgd(eta)) with the given grouping. */
export function probeOptimizer(eta: Schedule, hyper: AdamHyper, groupOf: GroupOf = perTensor) {
  return graft({ magnitude: adam({ lr: eta, ...hyper }), direction: sgd({ lr: eta }), groupOf });
}

/** The per-group norms of the last grafted step, as trace columns. */
export function normsOfState(state: GraftState<unknown, unknown>): Record<string, GroupStepNorms> {
  const out: Record<string, GroupStepNorms> = {};
  for (const [group, n] of Object.entries(state.norms)) {
    out[group] = { uAdamNorm: n.magnitude, uSgdNorm: n.direction, gradNorm: n.grad };
  }
  return out;
}

/** The magnitude optimizer as the trace records it: Adam, or Adam with a factored second moment (b1 = 0 without m). */
function magnitudeSpec(magnitude: Magnitude, peakLr: number, adam: AdamHyper): ProbeInfo['magnitude'] {
  const hyperparameters = { lr: peakLr, lrSchedule: 'baseSchedule', ...adam, weightDecay: 0 };
  if (magnitude === 'adam') return { name: 'adam', hyperparameters };
  return {
    name: magnitude,
    hyperparameters: {
      ...hyperparameters,
      ...(magnitude === 'factored-rms' ? { beta1: 0 } : {}),
      ...(magnitude === 'factored-adam-bf16' ? { firstMoment: 'bfloat16' } : {}),
      secondMoment: 'rows x cols',
    },
  };
}

/** What both probe paths share: options checked, the base schedule, and the trace recorder with its provenance. */
function startProbe(o: Omit<GraftProbeOptions, 'engine' | 'params'> & { magnitude?: Magnitude }) {
  checkInt('probe', 'probeSteps', o.probeSteps, 1);
  const every = o.recordEvery ?? 1;
  checkInt('probe', 'recordEvery', every, 1);
  const eta = baseSchedule(o.schedule);
  const spec = eta.spec as BaseScheduleSpec;
  const probe: ProbeInfo = {
    ...o.provenance,
    magnitude: magnitudeSpec(o.magnitude ?? 'adam', spec.peakLr, o.adam),
    direction: { name: 'sgd', hyperparameters: { lr: spec.peakLr, lrSchedule: 'baseSchedule', momentum: 0 } },
    baseSchedule: { ...spec },
    steps: o.probeSteps,
    totalSteps: spec.totalSteps,
  };
  return { every, eta, spec, recorder: traceRecorder({ model: o.model, probe }) };
}

/** Marks a stopped probe's trace with the steps it ran. */
function finishTrace(trace: Trace, steps: number, stopped: boolean): GraftProbeResult {
  if (stopped) trace.meta = { ...trace.meta, probe: { ...trace.meta.probe, steps } };
  return { trace, steps, stopped };
}

/** Runs the probe on the generic loop (tfjs optimizers; any engine) and returns its trace. See the file comment. */
export async function runGraftProbe(o: GraftProbeOptions): Promise<GraftProbeResult> {
  const { every, eta, spec, recorder } = startProbe(o);
  const optimizer = probeOptimizer(eta, o.adam, o.groupOf);
  const result = await trainLoop({
    engine: o.engine,
    params: o.params,
    optimizer,
    batchAt: o.batchAt,
    steps: o.probeSteps,
    lrAt: eta,
    groupOf: o.groupOf,
    shouldStop: o.shouldStop,
    async onStep(record, state) {
      if (record.step % every === 0) {
        recorder.record({ step: record.step, loss: record.loss, eta: eta(record.step), groups: normsOfState(state) });
      }
      await o.onStep?.(record);
    },
  });
  const moments = probeSecondMoments(result.optimizerState.magnitude, o.adam.beta2);
  disposeState(result.optimizerState);
  const trace = recorder.finish();
  if (moments) trace.secondMoments = moments;
  try {
    const batches = o.stabilityBatches ?? 0;
    if (batches > 0 && !result.stopped && trace.steps.length > 0) {
      const groups = o.model.groups.map((g) => g.name);
      o.onMeasureStart?.({ groups: groups.length, batches });
      trace.stability = await measureStabilityLimits({
        engine: o.engine,
        params: result.params,
        groups,
        groupOf: o.groupOf ?? perTensor,
        batches: Array.from({ length: batches }, (_, b) => o.batchAt(result.step + b)),
        firstStep: result.step,
        stepLength: peakStepLengths(trace, groups.length, spec.peakLr),
      });
    }
  } finally {
    disposeParams(result.params);
  }
  return finishTrace(trace, result.step, result.stopped);
}

export interface FusedGraftProbeOptions extends Omit<GraftProbeOptions, 'engine' | 'params'> {
  config: BertConfig;
  /** Initial parameters: ADOPTED and updated in place. */
  initial: HostParams;
  /** Seeds dropout. */
  seed: number;
  /** Where the grafted update runs: inside the onnxruntime run, or in typed-array loops on the host (default). */
  update?: ProbeUpdate;
  /** The graft's magnitude (src/engine/ort/host-factored.ts; default 'adam'); the factored ones need update 'host'. */
  magnitude?: Magnitude;
}

/**
 * Where the ort probe applies Adam#SGD. 'host' (the default): the gradient graph, then typed-array loops
 * (src/engine/ort/host-adam.ts); 'graph': inside the step graph. Same numbers to float32 round-off;
 * 'host' peaks lower at BERT sizes because onnxruntime-node copies every output of a run (README, "Memory").
 */
export type ProbeUpdate = 'host' | 'graph';

/**
 * The same probe on the ort runtime (src/engine/ort/step-trainer.ts, rule 'graft'): one onnxruntime run per
 * step computes the gradient, Adam's moments and step length, and the grafted update; parameters and moments
 * live once, in host arrays. The per-group norms come out of that run (float64 sums); nothing passes through
 * tfjs. Same trace, second moments and stability limits as runGraftProbe.
 */
export async function runFusedGraftProbe(o: FusedGraftProbeOptions): Promise<GraftProbeResult> {
  const { every, eta, spec, recorder } = startProbe(o);
  const groupOf = o.groupOf ?? perTensor;
  const magnitude = o.magnitude ?? 'adam';
  if (magnitude !== 'adam' && o.update === 'graph')
    throw new Error(`probe: the ${magnitude} magnitude runs on the host: use update "host"`);
  const onHost =
    (o.update ?? 'host') === 'host'
      ? await createHostAdamTrainer(o.config, o.initial, { rule: 'graft', adam: o.adam, groupOf, seed: o.seed, magnitude })
      : undefined;
  const trainer =
    onHost ??
    (await createOrtStepTrainer(o.config, o.initial, { ruleOf: () => 'graft', adam: o.adam, groupOf, seed: o.seed, inPlace: true }));
  const names = Object.keys(o.initial);
  let result, trace: Trace;
  try {
    result = await runSteps(
      { batchAt: o.batchAt, steps: o.probeSteps, lrAt: eta, onStep: o.onStep, shouldStop: o.shouldStop },
      {
        async step(batch, t) {
          const rate = eta(t);
          const r = await trainer.step(batch, Object.fromEntries(names.map((n) => [n, rate])), { step: t });
          if (!r.applied) throw new NonFiniteError(t, r.nonFinite, nonFiniteMessage(t, r.loss, r.nonFinite, groupOf, true));
          if (t % every === 0) {
            const groups: Record<string, GroupStepNorms> = {};
            for (const [group, n] of Object.entries(r.graftNorms))
              groups[group] = { uAdamNorm: n.magnitude, uSgdNorm: rate * n.grad, gradNorm: n.grad };
            recorder.record({ step: t, loss: r.loss, eta: rate, groups });
          }
          return { loss: r.loss, accuracy: r.accuracy };
        },
        snapshot: () => {
          throw new Error('the probe writes no checkpoints');
        },
      },
    );
    trace = recorder.finish();
    const lean = onHost?.getFactoredMoments();
    const moments = trainer.getMoments();
    const factors = lean ? factoredSecondMoments(lean, o.adam.beta2) : hostSecondMoments(moments!.v, moments!.count, o.adam.beta2);
    if (factors) trace.secondMoments = factors;
  } finally {
    await trainer.dispose(); // its session and the moments go before the measurement below
  }
  const batches = o.stabilityBatches ?? 0;
  if (batches > 0 && !result.stopped && trace.steps.length > 0) {
    const groups = o.model.groups.map((g) => g.name);
    o.onMeasureStart?.({ groups: groups.length, batches });
    const model = createHostLossModel(o.config, o.seed);
    try {
      trace.stability = await measureStabilityLimitsOnHost({
        model,
        params: o.initial,
        groups,
        groupOf, // the probe's final weights: the trainer updated o.initial in place
        batches: Array.from({ length: batches }, (_, b) => o.batchAt(result!.step + b)),
        firstStep: result.step,
        stepLength: peakStepLengths(trace, groups.length, spec.peakLr),
      });
    } finally {
      await model.dispose();
    }
  }
  return finishTrace(trace, result.step, result.stopped);
}
