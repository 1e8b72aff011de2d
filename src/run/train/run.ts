/**
 * runTraining: the library entry behind `graftlr train`. One call: check the schedule artifact against
 * the model (before any work), prepare data, build engine and optimizer, start or resume, run the shared
 * loop with evaluation, checkpoints and a metrics log, and return a summary. It prints nothing:
 * progress goes to the hooks. With the ort engine and a stateless SGD optimizer each step is one fused
 * onnxruntime run (fused.ts; the engine is then named FUSED_ENGINE); otherwise the generic step runs.
 *
 * Run folder (only with outDir): checkpoint/checkpoint.msgpack, metrics.jsonl (one step record per line),
 * tokenizer.json, summary.json.
 */
import * as path from 'node:path';
import type { DataStats, PreparedData } from '../../data/prepare.js';
import type { EvalResult } from '../../engine/types.js';
import { readFileChecked, writeFileAtomic } from '../../formats/atomic.js';
import { paramShapes } from '../../model/bert.js';
import { initValues } from '../../model/init.js';
import type { BertConfig } from '../../model/config.js';
import type { Optimizer, OptimizerSpec } from '../../optim/base.js';
import { disposeState, stateBytes } from '../../optim/state.js';
import { disposeParams, fromHost, type HostParams } from '../../core/params.js';
import { tokenCounts, tokenizerFingerprint } from '../../data/fingerprint.js';
import type { ScheduleRun } from '../../schedule/rule.js';
import type { TokenRemap } from '../../schedule/token-remap.js';
import { checkArtifactMatchesModel, decodeArtifact, type Artifact } from '../../schedule/artifact.js';
import { checkParamShapes, checkpointFile, hasCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { acquireRunLock } from './run-lock.js';
import { checkRunFits } from './memory-estimate.js';
import {
  checkResumable,
  finishedRunSummary,
  runChanges,
  storedHistory,
  weightsOutOfBounds,
  WEIGHT_BOUND,
  type RunChange,
} from './resume.js';
import { createFusedStepper, fusedEngineName, fusedStepPlan, hostEvaluator, type RunStepper } from './fused.js';
import { genericStepper, NonFiniteError, runSteps, type StepRecord } from './loop.js';
import { openMetricsLog } from './metrics.js';
import { trainBaseSchedule, trainOptimizer, trainScheduleRule } from './optimizers.js';
import { flatMetrics, NO_HELDOUT_METRICS, runBatches, runConfig, runData, runEngine, runEvaluator, type HeldoutMetrics } from './setup.js';
import { loadInitWeights } from './init-weights.js';
import { fromHostTree, type HostTree } from './state.js';
import { statefulParamCount } from './hybrid.js';
import { usesSchedule, validateTrainOptions, type TrainOptions } from './train-options.js';
import { runSummaryStats } from './summary.js';
import { startSeed } from './start-weights.js';

export interface TrainStartInfo {
  config: BertConfig;
  /** The engine's name ('tfjs' or 'ort'), or 'ort (fused SGD step)' when each step is one onnxruntime run. */
  engine: string;
  backend: string;
  optimizer: OptimizerSpec | undefined;
  /** First step of this process (0, or the checkpoint's step when resuming). */
  startStep: number;
  steps: number;
  paramCount: number;
  /** Bytes of tensors in the optimizer state (0 for static and plain SGD). */
  optimizerStateBytes: number;
  data: DataStats;
  dataFingerprint: string;
  /** With a schedule: what was done with its token-indexed entries for this run's tokenizer (schedule/token-remap.ts). */
  scheduleTokens?: TokenRemap;
}

export interface TrainHooks {
  onStart?(info: TrainStartInfo): void;
  /** After every step; `record.eval` is set when an evaluation ran after it. */
  onStep?(record: StepRecord): void;
  onCheckpoint?(info: { step: number; file: string; reason: string }): void;
  /** Polled after each step; true stops the run cleanly (checkpoint written, summary returned). */
  shouldStop?(): boolean;
  /** One-line notes: a stale lock taken over, a setting changed at resume, a checkpoint skipped. */
  onNotice?(message: string): void;
}

export interface TrainSummary {
  outDir: string | null;
  optimizer: TrainOptions['optimizer'];
  /** As TrainStartInfo.engine. */
  engine: string;
  backend: string;
  config: BertConfig;
  /** Steps completed (== steps unless stopped). */
  step: number;
  steps: number;
  stopped: boolean;
  resumedFrom: number | null;
  /** Mean training loss over the last 10% of the steps run in this process (at least one). */
  trainLoss: number;
  lastLoss: number;
  /** Final held-out metrics (null when stopped early or the split is empty). */
  heldout: EvalResult | null;
  /** The held-out batches scored only at [MASK] inputs (the context alone); absent from runs cached before it was measured. */
  heldoutAtMask?: EvalResult | null;
  ood: EvalResult | null;
  /** Wall time of the whole call, and of the steps alone. */
  wallSeconds: number;
  stepSeconds: number;
  /** Median ms per step, the first step of this process (warm-up) excluded when there are more. */
  msPerStepMedian: number;
  tokensPerSecond: number;
  optimizerStateBytes: number;
  paramCount: number;
  /** Parameters with per-coordinate optimizer state (all for adam/graft, LayerNorm and biases for hybrid, 0 otherwise). */
  statefulParams: number;
  /** Peak resident set size of the process so far (bytes). */
  peakRssBytes: number;
  dataFingerprint: string;
  /** The seed of the initial weights (start-weights.ts; null: exported weights, --init); absent in runs from before it was recorded. */
  initSeed?: number | null;
  /** With a schedule: what was done with its token-indexed entries for this run's tokenizer (schedule/token-remap.ts). */
  scheduleTokens?: TokenRemap;
  /** Settings changed when the run was resumed, with the step of each change (absent when none). */
  history?: RunChange[];
  /** True when a finished run was resumed: this is its stored summary, unchanged, and nothing ran. */
  nothingToDo?: boolean;
}

/** The run's tokenizer as the schedule rule reads it: pieces, their counts in the training split, fingerprint. */
function runVocabulary(data: PreparedData): ScheduleRun['vocabulary'] {
  const vocab = data.tokenizer.vocab;
  return { tokens: vocab, counts: tokenCounts(data.train.ids, vocab.length), fingerprint: tokenizerFingerprint(vocab) };
}

function loadArtifact(o: TrainOptions, config: BertConfig): Artifact | undefined {
  if (!usesSchedule(o.optimizer) || o.schedule === undefined) return undefined;
  const artifact = typeof o.schedule === 'string' ? decodeArtifact(readFileChecked(o.schedule, 'schedule artifact')) : o.schedule;
  checkArtifactMatchesModel(artifact, paramShapes(config));
  return artifact;
}

/**
 * Trains a model; see the file comment. Throws a one-line Error for bad options or a failed run. With a run
 * folder, holds its lock (run-lock.ts) for the whole call.
 */
export async function runTraining(options: Partial<TrainOptions>, hooks: TrainHooks = {}): Promise<TrainSummary> {
  const started = performance.now();
  const o = validateTrainOptions(options);
  const lock = o.outDir === undefined ? undefined : acquireRunLock(o.outDir, 'train');
  if (lock?.notice) hooks.onNotice?.(lock.notice);
  try {
    return await trainInFolder(o, hooks, started);
  } finally {
    lock?.release();
  }
}

async function trainInFolder(o: TrainOptions, hooks: TrainHooks, started: number): Promise<TrainSummary> {
  const config = runConfig(o, 'train');
  if (o.memoryCheck !== false)
    checkRunFits(
      config,
      { batchSize: o.batchSize, seqLen: o.seqLen, kind: o.optimizer, engine: typeof o.engine === 'string' ? o.engine : 'custom' },
      'train',
    );
  const artifact = loadArtifact(o, config); // before any work: a mismatched artifact costs nothing
  const data = runData(o, config, 'train');
  const rule = trainScheduleRule(o, artifact, artifact && runVocabulary(data)); // the artifact read once, for whichever step runs
  const eta = trainBaseSchedule(o, rule);
  const optimizer = trainOptimizer(o, eta, rule); // its spec describes the run (checkpoints, resume); only the generic step runs it
  const fused = fusedStepPlan(o, eta, rule); // undefined: the generic step
  const engineName = fused ? fusedEngineName(fused) : typeof o.engine === 'function' ? 'custom' : o.engine;
  // What must be equal for a resumed run to continue bit-identically (compared on resume).
  const sameRun = {
    optimizer: o.optimizer,
    steps: o.steps,
    batchSize: o.batchSize,
    seqLen: o.seqLen,
    baseSchedule: eta.spec,
    scheduleScale: o.scheduleScale,
    ...(o.vectorScale !== undefined ? { vectorScale: o.vectorScale } : {}),
    ...(o.optimizer === 'hybrid' ? { hybridAdamLr: o.hybridAdamLr } : {}),
    ...(o.momentum !== undefined ? { momentum: o.momentum } : {}),
    schedule: artifact?.checksum ?? null,
    clipNorm: o.clipNorm ?? null,
    weightDecay: o.weightDecay,
    engine: engineName,
  };
  const ckptDir = o.outDir === undefined ? undefined : path.join(o.outDir, 'checkpoint');
  let ckpt: Checkpoint | undefined;
  let history: RunChange[] = [];
  if (ckptDir !== undefined && o.resume) {
    if (!hasCheckpoint(ckptDir)) throw new Error(`train: ${o.outDir} holds no checkpoint to resume: run without --resume`);
    ckpt = loadCheckpoint(ckptDir, { config, preset: o.preset, seed: o.seed });
    checkResumable(ckpt, sameRun, optimizer.spec, `checkpoint ${checkpointFile(ckptDir)}`);
    const finished = finishedRunSummary(o.outDir!, ckpt, o.steps);
    if (finished) return { ...(finished as unknown as TrainSummary), nothingToDo: true };
    const changes = runChanges(ckpt.run, sameRun, ckpt.step);
    for (const c of changes)
      hooks.onNotice?.(
        `train: resuming at step ${c.step} with ${c.setting} ${JSON.stringify(c.to)} (was ${JSON.stringify(c.from)}); recorded in the run's history`,
      );
    history = [...storedHistory(ckpt), ...changes];
  } else if (ckptDir !== undefined && hasCheckpoint(ckptDir)) {
    throw new Error(`train: ${o.outDir} already holds a checkpoint: pass --resume to continue it, or choose another --out`);
  }

  if (ckpt && ckpt.dataFingerprint !== data.fingerprint) {
    throw new Error(
      `train: the checkpoint was trained on other data (fingerprint ${ckpt.dataFingerprint.slice(0, 12)}, now ${data.fingerprint.slice(0, 12)}): use the same corpus and vocabulary size to resume`,
    );
  }
  const shapes = paramShapes(config);
  // A fresh run with a factored schedule starts from the weights its probe started from (start-weights.ts).
  const start = ckpt ? undefined : startSeed({ seed: o.seed, initSeed: o.initSeed, fromWeights: o.init }, artifact, config);
  if (start?.notice) hooks.onNotice?.(start.notice);
  // Starting values as host arrays: the checkpoint's, exported weights, or a fresh initialisation; and the seed of
  // the initial weights (null: exported weights; a resumed run keeps the one it started from).
  let initial: HostParams;
  let initSeed: number | null;
  if (ckpt) {
    checkParamShapes(ckpt.params, shapes, `checkpoint in ${ckptDir}`);
    initial = ckpt.params;
    initSeed = 'initSeed' in ckpt.run ? (ckpt.run.initSeed as number | null) : ckpt.seed;
  } else if (o.init !== undefined) {
    initial = loadInitWeights(o.init);
    checkParamShapes(initial, shapes, o.init);
    initSeed = null;
  } else {
    initSeed = start!.seed;
    initial = initValues(config, initSeed);
  }
  const startStep = ckpt?.step ?? 0;
  const paramCount = Object.values(initial).reduce((n, p) => n + p.data.length, 0);
  const stepper = fused
    ? await createFusedStepper(config, fused, {
        // A stateful fused run starts from zero moments or the checkpoint's; a stateless one keeps no state.
        initial,
        seed: o.seed,
        evaluator: hostEvaluator(o, data, config),
        state: ckpt?.optimizerState,
      })
    : await genericRunStepper(o, config, data, optimizer, initial, ckpt?.optimizerState);
  const optimizerStateBytes = stepper.stateBytes();
  hooks.onStart?.({
    config,
    engine: stepper.engine,
    backend: o.backend,
    optimizer: optimizer.spec,
    startStep,
    steps: o.steps,
    paramCount,
    optimizerStateBytes,
    data: data.stats,
    dataFingerprint: data.fingerprint,
    ...(rule?.tokens ? { scheduleTokens: rule.tokens } : {}),
  });

  if (o.outDir !== undefined) writeFileAtomic(path.join(o.outDir, 'tokenizer.json'), data.tokenizerJson);
  const log =
    o.outDir === undefined ? undefined : openMetricsLog(path.join(o.outDir, 'metrics.jsonl'), o.resume ? { resumeFrom: startStep } : {});
  const records: StepRecord[] = [];
  let lastEval: HeldoutMetrics = NO_HELDOUT_METRICS;
  let lastEvalStep = -1;
  let lastCheckpoint: number | null = ckpt?.step ?? null;
  // Stored with each checkpoint: the above plus where the data came from (export and eval read it).
  const run = {
    ...sameRun,
    corpus: o.corpus,
    vocabSize: config.vocabSize,
    dataSpec: data.spec,
    evalSequences: o.evalSequences,
    initSeed,
    ...(history.length ? { history } : {}),
  };
  const checkpointOf = (step: number, p: Checkpoint['params'], s: Checkpoint['optimizerState']): Checkpoint => ({
    step,
    createdAt: new Date().toISOString(),
    model: { config, preset: o.preset },
    optimizer: optimizer.spec ?? null,
    run,
    dataFingerprint: data.fingerprint,
    seed: o.seed,
    backend: o.backend,
    engine: stepper.engine,
    params: p,
    optimizerState: s,
  });
  let result;
  try {
    result = await runSteps(
      {
        batchAt: runBatches(o, data),
        startStep,
        steps: o.steps,
        lrAt: (t) => eta(t) * (usesSchedule(o.optimizer) ? o.scheduleScale : 1),
        evalEvery: o.evalEvery || undefined,
        checkpointEvery: o.checkpointEvery || undefined,
        onCheckpoint:
          ckptDir === undefined
            ? undefined
            : (snap) => {
                // A diverging run's weights grow before its loss turns NaN: keep the last checkpoint a resume can use.
                const bad = weightsOutOfBounds(snap.params);
                if (bad) {
                  const kept = lastCheckpoint === null ? 'none was written yet' : `the last good one (step ${lastCheckpoint}) is kept`;
                  hooks.onNotice?.(
                    `train: step ${snap.step}: ${bad.name} holds ${bad.value} (beyond +-${WEIGHT_BOUND}): checkpoint not written, ${kept}`,
                  );
                  return;
                }
                const file = saveCheckpoint(ckptDir, checkpointOf(snap.step, snap.params, snap.optimizerState));
                lastCheckpoint = snap.step;
                hooks.onCheckpoint?.({ step: snap.step, file, reason: snap.reason });
              },
        onStep: (record) => {
          if (record.eval) lastEvalStep = record.step;
          records.push(record);
          log?.append(record);
          hooks.onStep?.(record);
        },
        shouldStop: hooks.shouldStop,
      },
      {
        ...stepper,
        evaluate: o.evalEvery ? async () => flatMetrics((lastEval = await stepper.evaluateHeldout())) : undefined,
      },
    );
  } catch (err) {
    await stepper.dispose();
    if (err instanceof NonFiniteError) {
      const where =
        lastCheckpoint === null ? 'no checkpoint was written yet' : `the last good checkpoint (step ${lastCheckpoint}) is in ${ckptDir}`;
      throw new Error(`train: ${err.message}; ${where}`);
    }
    throw err;
  } finally {
    log?.close();
  }

  // Final held-out metrics: reuse the evaluation of the last step if there was one; none when stopped.
  let final: HeldoutMetrics = NO_HELDOUT_METRICS;
  if (!result.stopped) final = lastEvalStep === o.steps - 1 ? lastEval : await stepper.evaluateHeldout();
  const finalStateBytes = stepper.stateBytes();
  await stepper.dispose();

  const summary: TrainSummary = {
    outDir: o.outDir ?? null,
    optimizer: o.optimizer,
    engine: stepper.engine,
    backend: o.backend,
    config,
    step: result.step,
    steps: o.steps,
    stopped: result.stopped,
    resumedFrom: ckpt?.step ?? null,
    ...runSummaryStats(records),
    heldout: final.heldout,
    heldoutAtMask: final.heldoutAtMask,
    ood: final.ood,
    wallSeconds: (performance.now() - started) / 1000,
    optimizerStateBytes: Math.max(optimizerStateBytes, finalStateBytes),
    paramCount,
    statefulParams: statefulParamCount(o.optimizer, shapes, o.momentum),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    dataFingerprint: data.fingerprint,
    initSeed,
    ...(rule?.tokens ? { scheduleTokens: rule.tokens } : {}),
    ...(history.length ? { history } : {}),
  };
  if (o.outDir !== undefined) writeFileAtomic(path.join(o.outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** The generic step (engine gradients, optimizer in tfjs) as a RunStepper; `stored` is a checkpoint's state. */
async function genericRunStepper(
  o: TrainOptions,
  config: BertConfig,
  data: PreparedData,
  optimizer: Optimizer<unknown>,
  initial: HostParams,
  stored?: HostTree,
): Promise<RunStepper> {
  const engine = await runEngine(o, config);
  const evaluator = runEvaluator(o, data, engine);
  const params = fromHost(initial);
  const generic = genericStepper(engine, optimizer, params, stored === undefined ? optimizer.init(params) : fromHostTree(stored));
  return {
    ...generic,
    engine: engine.name,
    evaluateHeldout: () => evaluator.evaluate(generic.params()),
    stateBytes: () => stateBytes(generic.state()),
    async dispose() {
      disposeParams(generic.params());
      disposeState(generic.state());
      await engine.dispose();
    },
  };
}
