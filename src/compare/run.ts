/**
 * runCompare: the experiment a user runs to decide. Adam (lr sweep), plain SGD (lr sweep), online
 * Adam#SGD, and SGD + static schedules extracted by short probes (a scale sweep per variant), all with
 * the same data, seed, step budget and base-schedule shape. Each run is its own process (peak RSS per run).
 * Writes runs and schedules under outDir; the report is built by report.ts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { prepareData } from '../data/prepare.js';
import { buildArtifact } from '../schedule/artifact.js';
import { compressTrace } from '../schedule/compress.js';
import { loadTrace, saveArtifact } from '../schedule/files.js';
import type { TrainSummary } from '../train/run.js';
import type { TrainOptions } from '../train/train-options.js';
import { validateCompareOptions, type CompareOptions } from './options.js';
import { runInChild, type ChildJob, type ChildReply } from './run-child.js';

export type Family = 'adam' | 'sgd' | 'graft' | 'static';

export interface CompareRun {
  name: string;
  family: Family;
  /** The swept value: lr for adam/sgd/graft, scale for static. */
  setting: number;
  /** Static only: the schedule variant (grouping, probe, compression) and its artifact. */
  variant?: string;
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
  tracePath: string;
  wallSeconds: number;
  peakRssBytes: number;
  steps: number;
}

export interface CompareResult {
  options: CompareOptions;
  runs: CompareRun[];
  probes: ProbeRun[];
  wallSeconds: number;
}

export interface CompareHooks {
  /** A run starts: its name, its index and the total number of jobs. */
  onRunStart?(name: string, index: number, total: number, steps: number): void;
  onProgress?(done: number): void;
  onRunEnd?(run: CompareRun | ProbeRun): void;
}

/** Held-out loss used to pick the best of a sweep (NaN or missing counts as worst). */
export function selectionLoss(r: CompareRun): number {
  const l = r.summary.heldout?.loss;
  return l === undefined || !Number.isFinite(l) ? Infinity : l;
}

function best(runs: CompareRun[]): CompareRun {
  return runs.reduce((a, b) => (selectionLoss(b) < selectionLoss(a) ? b : a));
}

const fmt = (x: number): string => String(Number(x.toPrecision(3)));

/** The summary of a run that failed: no metrics (NaN), so that it ranks last. */
function failedSummary(steps: number): TrainSummary {
  return {
    outDir: null, optimizer: 'sgd', engine: '', backend: '', config: {} as TrainSummary['config'], step: 0, steps, stopped: true,
    resumedFrom: null, trainLoss: NaN, lastLoss: NaN, heldout: null, ood: null, wallSeconds: NaN, stepSeconds: NaN,
    msPerStepMedian: NaN, tokensPerSecond: NaN, optimizerStateBytes: NaN, paramCount: NaN, statefulParams: NaN, peakRssBytes: NaN, dataFingerprint: '',
  };
}

/**
 * Runs a job in a child process and stores {job, reply} at cachePath; with `reuse`, a stored reply whose job
 * is identical (same options, same JSON) is returned without running anything. Otherwise a train job's
 * folder is emptied first, so a compare can be re-run into the same --out.
 */
async function cachedChild(cachePath: string, job: ChildJob, reuse: boolean, onProgress?: (done: number) => void, contents = ''): Promise<ChildReply> {
  const key = JSON.stringify(job) + contents;
  if (reuse && fs.existsSync(cachePath)) {
    const stored = JSON.parse(fs.readFileSync(cachePath, 'utf8')) as { job: string; reply: ChildReply };
    if (stored.job === key) return stored.reply;
  }
  // A fresh train run starts in an empty folder (a checkpoint left by an earlier compare would be refused).
  if (job.kind === 'train' && job.options.outDir) fs.rmSync(job.options.outDir, { recursive: true, force: true });
  const reply = await runInChild(job, onProgress);
  writeFileAtomic(cachePath, JSON.stringify({ job: key, reply }));
  return reply;
}

export async function runCompare(options: Partial<CompareOptions>, hooks: CompareHooks = {}): Promise<CompareResult> {
  const started = performance.now();
  const o = validateCompareOptions(options);
  // Prepare (and cache) the data once here, so every child reads the cache instead of re-training the tokenizer.
  prepareData({ corpus: o.corpus, vocabSize: o.vocabSize, seqLen: o.seqLen, cacheDir: o.cacheDir });
  const shared: Partial<TrainOptions> = {
    preset: o.preset, configOverrides: o.configOverrides, corpus: o.corpus, vocabSize: o.vocabSize, cacheDir: o.cacheDir,
    batchSize: o.batchSize, seqLen: o.seqLen, seed: o.seed, engine: o.engine as 'ort' | 'tfjs', evalSequences: o.evalSequences,
    steps: o.steps, warmup: o.warmup, decay: o.decay, checkpointEvery: 0,
    evalEvery: Math.max(1, Math.round(o.steps / o.evalPoints)),
  };
  const knobCount = o.targets.reduce((k, t) => k + (t === 'stepNorm' ? 1 : o.capRatios.length), 0);
  const variants = o.groupings.length * o.probeFractions.length * o.methods.length * o.skipFractions.length * knobCount;
  const total = o.adamLrs.length + o.sgdLrs.length + (o.includeGraft ? 1 : 0)
    + o.groupings.length * o.probeFractions.length + variants * o.staticScales.length;
  let index = 0;
  const runs: CompareRun[] = [];
  const probes: ProbeRun[] = [];

  /** `contents`: a digest of input files (the schedule artifact), so a reused run always saw the same file. */
  const train = async (name: string, family: Family, setting: number, extra: Partial<TrainOptions>, variant?: string, contents = '') => {
    hooks.onRunStart?.(name, index++, total, o.steps);
    const job: ChildJob = { kind: 'train', backend: o.backend, options: { ...shared, ...extra, outDir: path.join(o.outDir, name) } };
    let run: CompareRun;
    try {
      const reply = await cachedChild(path.join(o.outDir, name, 'compare-run.json'), job, o.reuse, hooks.onProgress, contents);
      if (reply.kind !== 'train') throw new Error(`compare: run ${name} answered with a ${reply.kind} reply`);
      run = { name, family, setting, variant, summary: reply.summary, curve: reply.curve, evalCurve: reply.evalCurve };
    } catch (err) {
      // A diverged setting is a result of the sweep, not a reason to stop the comparison.
      run = { name, family, setting, variant, summary: failedSummary(o.steps), error: err instanceof Error ? err.message : String(err), curve: [], evalCurve: [] };
    }
    runs.push(run);
    hooks.onRunEnd?.(run);
    return run;
  };

  const adamRuns = [];
  for (const lr of o.adamLrs) adamRuns.push(await train(`adam-lr${fmt(lr)}`, 'adam', lr, { optimizer: 'adam', lr }));
  const adamLr = best(adamRuns).setting;
  for (const lr of o.sgdLrs) await train(`sgd-lr${fmt(lr)}`, 'sgd', lr, { optimizer: 'sgd', lr });
  if (o.includeGraft) await train(`graft-lr${fmt(adamLr)}`, 'graft', adamLr, { optimizer: 'graft', lr: adamLr });

  for (const grouping of o.groupings) {
    for (const probeFraction of o.probeFractions) {
      const probeName = `probe-${grouping}-p${fmt(probeFraction)}`;
      const tracePath = path.join(o.outDir, 'schedules', `${probeName}.trace`);
      const probeSteps = Math.max(1, Math.round(probeFraction * o.steps));
      hooks.onRunStart?.(probeName, index++, total, probeSteps);
      const reply = await cachedChild(`${tracePath}.json`, {
        kind: 'probe', backend: o.backend, tracePath,
        options: { ...shared, totalSteps: o.steps, probeSteps, lr: adamLr, grouping },
      }, o.reuse && fs.existsSync(tracePath), hooks.onProgress);
      if (reply.kind !== 'probe') throw new Error(`compare: probe ${probeName} answered with a ${reply.kind} reply`);
      const probe: ProbeRun = { name: probeName, ...reply };
      probes.push(probe);
      hooks.onRunEnd?.(probe);
      const trace = loadTrace(tracePath);
      for (const method of o.methods) {
        // The cap is a rule on multipliers; step-norm schedules are compressed without it (cap 0).
        const knobs = o.targets.flatMap((target) => o.skipFractions.flatMap((skip) =>
          (target === 'stepNorm' ? [0] : o.capRatios).map((cap) => ({ target, skip, cap }))));
        for (const { target, skip: skipFraction, cap: capRatio } of knobs) {
          const variant = `${grouping}-p${fmt(probeFraction)}-${method}-skip${fmt(skipFraction)}${capRatio > 0 ? `-cap${fmt(capRatio)}` : ''}${target === 'stepNorm' ? '-norm' : ''}`;
          const compressed = compressTrace(trace, {
            method, skipFraction, capRatio, target, zeroGradTol: o.zeroGradTol, minMultiplier: o.minMultiplier, maxMultiplier: o.maxMultiplier,
          });
          const artifactPath = path.join(o.outDir, 'schedules', `${variant}.graft`);
          const saved = saveArtifact(artifactPath, buildArtifact({ trace, compressed }));
          const bytes = saved.length;
          // The artifact's creation time differs between calls: digest the schedule itself, not the file.
          const digest = createHash('sha256').update(JSON.stringify(compressed)).digest('hex');
          for (const scale of o.staticScales) {
            const run = await train(`static-${variant}-x${fmt(scale)}`, 'static', scale,
              { optimizer: 'static', schedule: artifactPath, scheduleScale: scale, warmup: undefined, decay: undefined }, variant, digest);
            run.artifact = { path: artifactPath, bytes };
          }
        }
      }
    }
  }
  return { options: o, runs, probes, wallSeconds: (performance.now() - started) / 1000 };
}
