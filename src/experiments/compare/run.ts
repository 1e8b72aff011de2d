/**
 * runCompare: the experiment a user runs to decide. Adam (lr sweep), plain SGD (lr sweep), online
 * Adam#SGD, SGD + static schedules extracted by short probes (a scale sweep per variant), and the hybrid
 * reference (static + Adam for LayerNorm and biases), all with the same data, step budget and base-schedule
 * shape, for every seed. Each run is its own process (peak RSS per run).
 *
 * Seeds: the sweeps run on the tuning seeds (the first seed with `tuneSeedOnly`, the default; else all);
 * the best setting of each method (lowest mean in-domain held-out loss over the tuning seeds) then runs on
 * the other seeds. Every seed probes its own schedules. Writes runs and schedules under outDir; the report
 * is built by report.ts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { heldoutCountBaselines, type CountBaselines } from '../../run/eval/count-baselines.js';
import type { HeldoutSplit } from '../../run/train/setup.js';
import { writeFileAtomic } from '../../formats/atomic.js';
import { prepareData } from '../../data/prepare.js';
import { RECOMMENDED_STABILITY_BATCHES } from '../../run/probe/stability-limits.js';
import { buildArtifact } from '../../schedule/artifact.js';
import { compressTrace } from '../../schedule/compress.js';
import { capsByCurvature } from '../../schedule/stability.js';
import { loadArtifact, loadTrace, saveArtifact } from '../../schedule/files.js';
import { checkArtifactMatchesModel } from '../../schedule/artifact.js';
import type { TrainSummary } from '../../run/train/run.js';
import type { TrainOptions } from '../../run/train/train-options.js';
import { scheduleInitSeed } from '../../run/train/start-weights.js';
import { scheduleFileVariant, validateCompareOptions, type CompareOptions, type FileStart } from './options.js';
import { ChildStoppedError, RunFailedError, runInChild, type ChildJob, type ChildReply } from './run-child.js';
import { chooseSetting, methodKey, selectionLoss } from './select.js';
import { probeStateBytes } from '../../engine/ort/host-factored.js';
import { paramShapes } from '../../model/bert.js';
import { presetConfig } from '../../model/config.js';
import { allStaticVariants, fmt, probeSpecs, type ProbeSpec, type StaticVariant } from './variants.js';

export { selectionLoss };

export type Family = 'adam' | 'sgd' | 'graft' | 'static' | 'hybrid';

export interface CompareRun {
  name: string;
  family: Family;
  /** The swept value: lr for adam/sgd/graft, scale for static and hybrid. */
  setting: number;
  seed: number;
  /** Static and hybrid: the schedule variant (grouping, probe, compression) and the artifact of this seed. */
  variant?: string;
  /** Static and hybrid: the probe that made the schedule (its name with the seed). */
  probe?: string;
  artifact?: { path: string; bytes: number };
  summary: TrainSummary;
  /** Set when the run failed (e.g. diverged to NaN); its losses then count as worst. */
  error?: string;
  /** Training loss per step, and held-out / out-of-domain loss at the evaluation points. */
  curve: [number, number][];
  evalCurve: [number, number, number][];
}

export interface ProbeRun {
  name: string;
  seed: number;
  tracePath: string;
  wallSeconds: number;
  peakRssBytes: number;
  steps: number;
  /** The magnitude optimizer's state in bytes (Adam: 8 per parameter of the probed model). */
  optimizerStateBytes: number;
}

/** The setting each method runs at on the seeds after the tuning seeds (and is reported at). */
export interface Selection {
  method: string;
  family: Family;
  variant: string | null;
  setting: number;
  /** Hybrid only: the peak Adam rate of its LayerNorm and bias tensors. */
  hybridAdamLr?: number;
}

export interface CompareResult {
  options: CompareOptions;
  runs: CompareRun[];
  probes: ProbeRun[];
  selected: Selection[];
  /** The seeds the sweeps ran on. */
  tuneSeeds: number[];
  /** What count-based predictors score on the same held-out masked positions (a scale for the losses). */
  countBaselines: Record<HeldoutSplit, CountBaselines | null>;
  wallSeconds: number;
}

/** Runs one job and returns its reply (default: in a child process). */
export type JobRunner = (job: ChildJob, onProgress?: (done: number) => void) => Promise<ChildReply>;

export interface CompareHooks {
  /** A run starts: its name, its index and the total number of jobs. */
  onRunStart?(name: string, index: number, total: number, steps: number): void;
  onProgress?(done: number): void;
  onRunEnd?(run: CompareRun | ProbeRun): void;
  /** Replaces the child-process runner (tests run jobs in-process or fake them). */
  runJob?: JobRunner;
}

/** The summary of a run that failed: no metrics (NaN), so that it ranks last. */
function failedSummary(steps: number): TrainSummary {
  return {
    outDir: null,
    optimizer: 'sgd',
    engine: '',
    backend: '',
    config: {} as TrainSummary['config'],
    step: 0,
    steps,
    stopped: true,
    resumedFrom: null,
    trainLoss: NaN,
    lastLoss: NaN,
    heldout: null,
    ood: null,
    wallSeconds: NaN,
    stepSeconds: NaN,
    msPerStepMedian: NaN,
    tokensPerSecond: NaN,
    optimizerStateBytes: NaN,
    paramCount: NaN,
    statefulParams: NaN,
    peakRssBytes: NaN,
    dataFingerprint: '',
  };
}

/**
 * A run that finished with a finite but exploded held-out loss diverged as surely as one that stopped at NaN:
 * above 2 ln V a model predicts worse than a uniform guess over the vocabulary by a factor of V (loss ln V). Its
 * numbers would make that seed's gap closure meaningless, so it counts as failed. Returns why, or undefined.
 */
export function explodedLoss(summary: TrainSummary, vocabSize: number): string | undefined {
  const loss = summary.heldout?.loss;
  const limit = 2 * Math.log(vocabSize);
  if (loss === undefined || !(loss > limit)) return undefined;
  return `diverged: held-out loss ${loss.toPrecision(3)} is above 2 ln V = ${limit.toFixed(1)} (V = ${vocabSize}, a uniform guess scores ln V)`;
}

/**
 * Runs a job and stores {job, reply} at cachePath; with `reuse`, a stored reply whose job is identical
 * (same options, same JSON, same input digest) is returned without running anything. A run that failed
 * by itself (RunFailedError) is stored as {job, error} and, reused, fails again with the same message.
 * Otherwise a train job's folder is emptied first, so a compare can be re-run into the same --out.
 */
async function cachedJob(
  runJob: JobRunner,
  cachePath: string,
  job: ChildJob,
  reuse: boolean,
  onProgress?: (done: number) => void,
  contents = '',
): Promise<ChildReply> {
  const key = JSON.stringify(job) + contents;
  if (reuse && fs.existsSync(cachePath)) {
    const stored = JSON.parse(fs.readFileSync(cachePath, 'utf8')) as { job: string; reply?: ChildReply; error?: string };
    if (stored.job === key) {
      if (stored.error !== undefined) throw new RunFailedError(stored.error);
      if (stored.reply) return stored.reply;
    }
  }
  // A fresh train run starts in an empty folder (a checkpoint left by an earlier compare would be refused).
  if (job.kind === 'train' && job.options.outDir) fs.rmSync(job.options.outDir, { recursive: true, force: true });
  let reply: ChildReply;
  try {
    reply = await runJob(job, onProgress);
  } catch (err) {
    if (err instanceof RunFailedError) writeFileAtomic(cachePath, JSON.stringify({ job: key, error: err.message }));
    throw err;
  }
  writeFileAtomic(cachePath, JSON.stringify({ job: key, reply }));
  return reply;
}

/** A static run's schedule: its variant, the probe that made it (none for a schedule file), the file and its digest. */
interface RunSchedule {
  variant: string;
  probe?: string;
  artifact: { path: string; bytes: number };
  digest: string;
  /**
   * A factored schedule file: the seed whose initial weights it describes (train/start-weights.ts), and where its
   * runs start: from those weights on every seed ('probe', train's default) or from each run's own ('seed'). A
   * probed schedule needs neither: its probe started from the run's own seed.
   */
  start?: { probeSeed: number; from: FileStart };
}

/** The initSeed a static run's job names: only where it differs from the seed, so earlier cache keys stay valid. */
function jobInitSeed(schedule: RunSchedule | undefined, seed: number): { initSeed?: number } {
  if (schedule?.start === undefined || schedule.start.probeSeed === seed) return {};
  return { initSeed: schedule.start.from === 'probe' ? schedule.start.probeSeed : seed };
}

/**
 * The schedule files of a comparison (o.scheduleFiles), each read and checked against the compared model before
 * anything runs: a file that cannot be read or was made for another model stops the comparison with one line.
 * A factored file runs once per o.fileStarts ('seed': variant "file-<name>-own-init").
 */
function scheduleFiles(o: CompareOptions, vocabSize: number): RunSchedule[] {
  const config = presetConfig(o.preset, { ...o.configOverrides, vocabSize });
  const shapes = paramShapes(config);
  return (o.scheduleFiles ?? []).flatMap((file) => {
    const artifact = loadArtifact(file);
    try {
      checkArtifactMatchesModel(artifact, shapes);
    } catch (err) {
      throw new Error(`compare: schedule file ${file}: ${(err as Error).message}`);
    }
    const bytes = fs.readFileSync(file);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const common = { artifact: { path: path.resolve(file), bytes: bytes.length }, digest };
    const probeSeed = scheduleInitSeed(artifact, config);
    if (probeSeed === undefined) return [{ variant: scheduleFileVariant(file), ...common }];
    return o.fileStarts.map((from) => ({
      variant: scheduleFileVariant(file) + (from === 'seed' ? '-own-init' : ''),
      ...common,
      start: { probeSeed, from },
    }));
  });
}

/** Jobs of a whole comparison (for the progress counter). */
function jobCount(o: CompareOptions, files: number, tuneSeeds: number, restSeeds: number): number {
  const variants = allStaticVariants(o).length + files;
  const probes = probeSpecs(o).length;
  const graft = o.includeGraft ? 1 : 0;
  const hybrid = o.includeHybrid && variants > 0 ? 1 : 0;
  return (
    tuneSeeds * (o.adamLrs.length + o.sgdLrs.length + graft + probes + variants * o.staticScales.length) +
    restSeeds * (2 + graft + probes + variants) +
    (tuneSeeds + restSeeds) * hybrid
  );
}

export async function runCompare(options: Partial<CompareOptions>, hooks: CompareHooks = {}): Promise<CompareResult> {
  const started = performance.now();
  const o = validateCompareOptions(options);
  const runJob = hooks.runJob ?? runInChild;
  // Prepare (and cache) the data once here, so every child reads the cache instead of re-training the tokenizer.
  const data = prepareData({ corpus: o.corpus, vocabSize: o.vocabSize, seqLen: o.seqLen, cacheDir: o.cacheDir });
  const countBaselines = heldoutCountBaselines(data, o.batchSize, o.evalSequences);
  const shared: Partial<TrainOptions> = {
    preset: o.preset,
    configOverrides: o.configOverrides,
    corpus: o.corpus,
    vocabSize: o.vocabSize,
    cacheDir: o.cacheDir,
    batchSize: o.batchSize,
    seqLen: o.seqLen,
    engine: o.engine as 'ort' | 'tfjs',
    evalSequences: o.evalSequences,
    steps: o.steps,
    warmup: o.warmup,
    decay: o.decay,
    checkpointEvery: 0,
    evalEvery: Math.max(1, Math.round(o.steps / o.evalPoints)),
  };
  const tuneSeeds = o.tuneSeedOnly ? o.seeds.slice(0, 1) : [...o.seeds];
  const restSeeds = o.seeds.filter((s) => !tuneSeeds.includes(s));
  let index = 0;
  const runs: CompareRun[] = [];
  const probes: ProbeRun[] = [];
  const variants = allStaticVariants(o);
  const files = scheduleFiles(o, data.tokenizer.vocabSize);
  const total = jobCount(o, files.length, tuneSeeds.length, restSeeds.length);
  /** Every static variant: the probed ones, then the schedule files. */
  const variantNames = [...variants.map((v) => v.name), ...files.map((f) => f.variant)];

  /** `contents`: a digest of input files (the schedule artifact), so a reused run always saw the same file. */
  const train = async (
    base: string,
    family: Family,
    setting: number,
    seed: number,
    extra: Partial<TrainOptions>,
    schedule?: RunSchedule,
  ) => {
    const name = `${base}-s${seed}`;
    hooks.onRunStart?.(name, index++, total, o.steps);
    const job: ChildJob = {
      kind: 'train',
      backend: o.backend,
      options: { ...shared, ...extra, ...jobInitSeed(schedule, seed), seed, outDir: path.join(o.outDir, name) },
    };
    const common = { name, family, setting, seed, variant: schedule?.variant, probe: schedule?.probe, artifact: schedule?.artifact };
    let run: CompareRun;
    try {
      const reply = await cachedJob(
        runJob,
        path.join(o.outDir, name, 'compare-run.json'),
        job,
        o.reuse,
        hooks.onProgress,
        schedule?.digest,
      );
      if (reply.kind !== 'train') throw new Error(`compare: run ${name} answered with a ${reply.kind} reply`);
      const diverged = explodedLoss(reply.summary, data.tokenizer.vocabSize);
      run = diverged
        ? { ...common, summary: failedSummary(o.steps), error: diverged, curve: reply.curve, evalCurve: [] }
        : { ...common, summary: reply.summary, curve: reply.curve, evalCurve: reply.evalCurve };
    } catch (err) {
      if (err instanceof ChildStoppedError) {
        throw new Error(
          `compare: run ${name} was stopped (${err.signal}); finished runs are kept in ${o.outDir}: run the same command with --reuse to continue`,
        );
      }
      // A diverged setting is a result of the sweep, not a reason to stop the comparison.
      run = {
        ...common,
        summary: failedSummary(o.steps),
        error: err instanceof Error ? err.message : String(err),
        curve: [],
        evalCurve: [],
      };
    }
    runs.push(run);
    hooks.onRunEnd?.(run);
    return run;
  };

  /**
   * A probe measures stability limits only if one of its variants caps against them; a cached trace without them
   * (from a probe that did not measure, or from before version 3) is then probed again.
   */
  const needsLimits = (spec: ProbeSpec) => variants.some((v) => v.probe.name === spec.name && capsByCurvature(v.compress));

  /** Probes with `seed` at Adam's best lr; returns the trace path. */
  const probe = async (spec: ProbeSpec, seed: number, adamLr: number): Promise<string> => {
    const name = `${spec.name}-s${seed}`;
    const tracePath = path.join(o.outDir, 'schedules', `${name}.trace`);
    const probeSteps = Math.max(1, Math.round(spec.probeFraction * o.steps));
    const limits = needsLimits(spec);
    hooks.onRunStart?.(name, index++, total, probeSteps);
    const reply = await cachedJob(
      runJob,
      `${tracePath}.json`,
      {
        kind: 'probe',
        backend: o.backend,
        tracePath,
        options: {
          ...shared,
          seed,
          totalSteps: o.steps,
          probeSteps,
          lr: adamLr,
          grouping: spec.grouping,
          stabilityBatches: limits ? RECOMMENDED_STABILITY_BATCHES : 0,
          ...(spec.magnitude !== 'adam' ? { magnitude: spec.magnitude } : {}),
          ...(spec.proxyLayers > 0 ? { proxyLayers: spec.proxyLayers } : {}),
        },
      },
      o.reuse && fs.existsSync(tracePath) && (!limits || loadTrace(tracePath).stability !== undefined),
      hooks.onProgress,
    );
    if (reply.kind !== 'probe') throw new Error(`compare: probe ${name} answered with a ${reply.kind} reply`);
    const probed = presetConfig(o.preset, {
      ...o.configOverrides,
      vocabSize: data.tokenizer.vocabSize,
      ...(spec.proxyLayers > 0 ? { numLayers: spec.proxyLayers } : {}),
    });
    const run: ProbeRun = { name, seed, ...reply, optimizerStateBytes: probeStateBytes(paramShapes(probed), spec.magnitude) };
    probes.push(run);
    hooks.onRunEnd?.(run);
    return tracePath;
  };

  /** Writes a variant's artifact for one seed from that seed's trace. */
  const artifactOf = (variant: StaticVariant, seed: number, tracePath: string): RunSchedule => {
    const trace = loadTrace(tracePath);
    const body = buildArtifact({ trace, compressed: compressTrace(trace, variant.compress) });
    const artifactPath = path.join(o.outDir, 'schedules', `${variant.name}-s${seed}.graft`);
    const bytes = saveArtifact(artifactPath, body).length;
    // The creation time differs between calls: digest everything else (schedule, factors, provenance).
    const digest = createHash('sha256')
      .update(JSON.stringify({ ...body, createdAt: '' }))
      .digest('hex');
    return { variant: variant.name, probe: `${variant.probe.name}-s${seed}`, artifact: { path: artifactPath, bytes }, digest };
  };

  /** Probes and writes every variant's artifact for one seed; the schedule files are the same on every seed. */
  const schedulesFor = async (seed: number, adamLr: number): Promise<Map<string, RunSchedule>> => {
    const traces = new Map<string, string>();
    for (const spec of probeSpecs(o)) traces.set(spec.name, await probe(spec, seed, adamLr));
    const probed = variants.map((v): [string, RunSchedule] => [v.name, artifactOf(v, seed, traces.get(v.probe.name)!)]);
    return new Map([...probed, ...files.map((f): [string, RunSchedule] => [f.variant, f])]);
  };
  const staticRun = (v: string, seed: number, scale: number, schedule: RunSchedule) =>
    train(
      `static-${v}-x${fmt(scale)}`,
      'static',
      scale,
      seed,
      { optimizer: 'static', schedule: schedule.artifact.path, scheduleScale: scale, warmup: undefined, decay: undefined },
      schedule,
    );

  // 1. Sweeps on the tuning seeds.
  const of = (family: Family, variant?: string) =>
    runs.filter((r) => r.family === family && (variant === undefined || r.variant === variant));
  for (const seed of tuneSeeds) for (const lr of o.adamLrs) await train(`adam-lr${fmt(lr)}`, 'adam', lr, seed, { optimizer: 'adam', lr });
  const adamLr = chooseSetting(of('adam'), tuneSeeds)!;
  for (const seed of tuneSeeds) for (const lr of o.sgdLrs) await train(`sgd-lr${fmt(lr)}`, 'sgd', lr, seed, { optimizer: 'sgd', lr });
  const graft = (seed: number) => train(`graft-lr${fmt(adamLr)}`, 'graft', adamLr, seed, { optimizer: 'graft', lr: adamLr });
  if (o.includeGraft) for (const seed of tuneSeeds) await graft(seed);
  const schedules = new Map<number, Map<string, RunSchedule>>();
  for (const seed of tuneSeeds) {
    schedules.set(seed, await schedulesFor(seed, adamLr));
    for (const v of variantNames) for (const scale of o.staticScales) await staticRun(v, seed, scale, schedules.get(seed)!.get(v)!);
  }

  // 2. The winners, then the same settings on the other seeds.
  const selected: Selection[] = [
    { method: 'adam', family: 'adam', variant: null, setting: adamLr },
    { method: 'sgd', family: 'sgd', variant: null, setting: chooseSetting(of('sgd'), tuneSeeds)! },
    ...(o.includeGraft ? [{ method: 'graft', family: 'graft' as const, variant: null, setting: adamLr }] : []),
    ...variantNames.map((v) => ({
      method: methodKey('static', v),
      family: 'static' as const,
      variant: v,
      setting: chooseSetting(of('static', v), tuneSeeds)!,
    })),
  ];
  const settingOf = (method: string) => selected.find((s) => s.method === method)!.setting;
  for (const seed of restSeeds) {
    await train(`adam-lr${fmt(adamLr)}`, 'adam', adamLr, seed, { optimizer: 'adam', lr: adamLr });
    const sgdLr = settingOf('sgd');
    await train(`sgd-lr${fmt(sgdLr)}`, 'sgd', sgdLr, seed, { optimizer: 'sgd', lr: sgdLr });
    if (o.includeGraft) await graft(seed);
    schedules.set(seed, await schedulesFor(seed, adamLr));
    for (const v of variantNames) await staticRun(v, seed, settingOf(methodKey('static', v)), schedules.get(seed)!.get(v)!);
  }

  // 3. The hybrid reference on the best static variant at its best scale, every seed.
  if (o.includeHybrid && variantNames.length > 0) {
    const tuneLoss = (sel: Selection) => {
      const mine = of('static', sel.variant!).filter((r) => r.setting === sel.setting && tuneSeeds.includes(r.seed));
      return mine.reduce((sum, r) => sum + selectionLoss(r), 0) / mine.length;
    };
    const bestStatic = selected.filter((sel) => sel.family === 'static').reduce((x, y) => (tuneLoss(y) < tuneLoss(x) ? y : x));
    const a = o.hybridAdamLr ?? adamLr;
    const variant = bestStatic.variant!;
    for (const seed of o.seeds) {
      const schedule = schedules.get(seed)!.get(variant)!;
      await train(
        `hybrid-${variant}-x${fmt(bestStatic.setting)}-a${fmt(a)}`,
        'hybrid',
        bestStatic.setting,
        seed,
        {
          optimizer: 'hybrid',
          schedule: schedule.artifact.path,
          scheduleScale: bestStatic.setting,
          hybridAdamLr: a,
          warmup: undefined,
          decay: undefined,
        },
        schedule,
      );
    }
    selected.push({ method: methodKey('hybrid', variant), family: 'hybrid', variant, setting: bestStatic.setting, hybridAdamLr: a });
  }
  return { options: o, runs, probes, selected, tuneSeeds, countBaselines, wallSeconds: (performance.now() - started) / 1000 };
}
