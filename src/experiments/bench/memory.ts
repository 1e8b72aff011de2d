/**
 * The memory benchmark behind `graftlr bench --memory` (`npm run bench:memory`): for each preset, every job
 * in its own process, side by side in one call, peak resident memory (the process's own getrusage maximum)
 * and median ms/step of
 *   graftlr static   train --optimizer static with a schedule from the probe below (the default path:
 *                    step norms with the factored preconditioner, the fused in-place step)
 *   graftlr probe    extract's grafted Adam#SGD probe alone, with full Adam (--magnitude adam)
 *   lean probes      the same with --magnitude factored-adam (Adam's second moment as row and column statistics,
 *                    src/engine/ort/host-factored.ts), factored-adam-bf16 (that, m in bfloat16: extract's default)
 *                    and factored-rms (no first moment); each with static is a lean pipeline
 *   graftlr adam     train --optimizer adam
 *   PyTorch SGD      scripts/bench-torch.py, the same model, torch.optim.SGD
 *   PyTorch Adam     scripts/bench-torch.py, torch.optim.Adam
 * PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (they pin an older
 * kernel on some machines), and reports the OpenBLAS kernel it ran. A job that fails or runs past the
 * timeout is a row with its reason; the others go on.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runInChild } from '../compare/run-child.js';
import { packageFile, TORCH_BENCH_SCRIPT } from '../../core/package-files.js';
import { findTorchPython, torchEnv } from './torch-python.js';
import { prepareData } from '../../data/prepare.js';
import { buildArtifact } from '../../schedule/artifact.js';
import { compressTrace, withRecommendedDefaults } from '../../schedule/compress.js';
import { loadTrace, saveArtifact } from '../../schedule/files.js';
import type { TrainOptions } from '../../run/train/train-options.js';

export const MEMORY_JOBS = [
  'static',
  'probe',
  'probe-factored-adam',
  'probe-factored-adam-bf16',
  'probe-factored-rms',
  'adam',
  'torch-sgd',
  'torch-adam',
] as const;
export type MemoryJob = (typeof MEMORY_JOBS)[number];

export interface MemoryBenchOptions {
  presets: string[];
  batchSize: number;
  seqLen: number;
  /** Steps per job; the first is warm-up. */
  steps: number;
  /** Seconds a job may run before it is stopped. */
  timeoutSeconds: number;
  /** The Python that runs scripts/bench-torch.py (default: the first of python3, /usr/bin/python3 that imports torch). */
  python?: string;
  backend?: string;
  cacheDir?: string;
  /** The jobs to run (default: all of MEMORY_JOBS); static needs the full-Adam probe's schedule, so it runs that probe too. */
  jobs?: readonly MemoryJob[];
}

export interface MemoryRow {
  preset: string;
  job: MemoryJob;
  peakRssMiB: number | null;
  msPerStep: number | null;
  /** Why the job has no numbers (failed, timed out, PyTorch missing). */
  failed?: string;
}

export interface MemoryTarget {
  name: string;
  pass: boolean | null;
  detail: string;
}

export interface MemoryBenchResult {
  options: MemoryBenchOptions;
  rows: MemoryRow[];
  torch: { available: boolean; version?: string; blasKernel?: string; reason?: string };
  targets: MemoryTarget[];
}

/** The probes' rows and magnitudes: full Adam, then the lean ones (factored-adam-bf16 is extract's default). */
const PROBES = [
  ['probe', 'adam'],
  ['probe-factored-adam', 'factored-adam'],
  ['probe-factored-adam-bf16', 'factored-adam-bf16'],
  ['probe-factored-rms', 'factored-rms'],
] as const;

/** The Python to run PyTorch with and torch's version, or why there is none. */
function findTorch(given?: string): { python: string; torch: MemoryBenchResult['torch'] } {
  const python = findTorchPython(given);
  if (python === undefined)
    return {
      python: given ?? 'python3',
      torch: { available: false, reason: `no ${given ?? 'python3 or /usr/bin/python3'} imports torch` },
    };
  const version = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', env: torchEnv() }).stdout.trim();
  return { python, torch: { available: true, version } };
}

/** One PyTorch job: its JSON line, or throws with the last line of its error output. */
function runTorch(
  python: string,
  preset: string,
  optimizer: 'sgd' | 'adam',
  o: MemoryBenchOptions,
): Promise<{ msPerStep: number; peakRssMB: number; blasKernel: string }> {
  const args = [
    packageFile(TORCH_BENCH_SCRIPT),
    '--preset',
    preset,
    '--optimizer',
    optimizer,
    '--batch',
    String(o.batchSize),
    '--seq',
    String(o.seqLen),
    '--steps',
    String(Math.max(1, o.steps - 1)),
    '--warmup',
    '1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env: torchEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(JSON.parse(out.trim().split('\n').pop()!));
      const last = err.trim().split('\n').pop() ?? '';
      reject(
        new Error(
          signal === 'SIGKILL' ? `stopped by ${signal} (timeout of ${o.timeoutSeconds} s, or out of memory)` : `exit ${code}: ${last}`,
        ),
      );
    });
  });
}

const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Runs the benchmark; `onRun` hears each job's label as it starts. */
export async function runMemoryBench(o: MemoryBenchOptions, onRun?: (label: string) => void): Promise<MemoryBenchResult> {
  const { python, torch } = findTorch(o.python);
  prepareData({ corpus: 'sotu', seqLen: o.seqLen, cacheDir: o.cacheDir });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-bench-memory-'));
  const rows: MemoryRow[] = [];
  const timeoutMs = o.timeoutSeconds * 1000;
  try {
    for (const preset of o.presets) {
      const base: Partial<TrainOptions> = {
        preset,
        batchSize: o.batchSize,
        seqLen: o.seqLen,
        steps: o.steps,
        engine: 'ort',
        cacheDir: o.cacheDir,
        evalSequences: 0,
        evalEvery: 0,
        checkpointEvery: 0,
      };
      const row = (job: MemoryJob, peakBytes: number, ms: number) =>
        rows.push({ preset, job, peakRssMiB: peakBytes / 2 ** 20, msPerStep: ms });
      const failed = (job: MemoryJob, e: unknown) => rows.push({ preset, job, peakRssMiB: null, msPerStep: null, failed: oneLine(e) });

      // The probe's steps alone: no stability limits after it (extract measures them by default; their forward
      // passes would dominate the time and say nothing about the probe's memory).
      const probeRun = { totalSteps: o.steps * 10, probeSteps: o.steps, stabilityBatches: 0 };
      let artifact: string | undefined;
      const wanted = (job: MemoryJob) => o.jobs === undefined || o.jobs.includes(job);
      for (const [job, magnitude] of PROBES) {
        if (!wanted(job) && !(magnitude === 'adam' && wanted('static'))) continue;
        onRun?.(`${preset} ${LABEL[job].replace('graftlr ', '')}`);
        const tracePath = path.join(tmp, `${preset}-${magnitude}.trace`);
        try {
          const r = await runInChild(
            { kind: 'probe', backend: o.backend, tracePath, options: { ...base, ...probeRun, magnitude } },
            undefined,
            timeoutMs,
          );
          if (r.kind !== 'probe') throw new Error('the probe answered with a training reply');
          row(job, r.peakRssBytes, r.msPerStepMedian);
          if (magnitude === 'adam') {
            // static trains on the full-Adam probe's schedule (the reference probe)
            const trace = loadTrace(tracePath);
            artifact = path.join(tmp, `${preset}.graft`);
            saveArtifact(artifact, buildArtifact({ trace, compressed: compressTrace(trace, withRecommendedDefaults()) }));
          }
        } catch (e) {
          failed(job, e);
        }
      }
      for (const job of ['static', 'adam'] as const) {
        if (!wanted(job)) continue;
        onRun?.(`${preset} ${job}`);
        if (job === 'static' && !artifact) {
          failed(job, 'no schedule: the probe failed');
          continue;
        }
        try {
          const extra: Partial<TrainOptions> = job === 'static' ? { optimizer: 'static', schedule: artifact } : { optimizer: 'adam' };
          const r = await runInChild({ kind: 'train', backend: o.backend, options: { ...base, ...extra } }, undefined, timeoutMs);
          if (r.kind !== 'train') throw new Error('a training run answered with a probe reply');
          row(job, r.summary.peakRssBytes, r.summary.msPerStepMedian);
        } catch (e) {
          failed(job, e);
        }
      }
      for (const optimizer of ['sgd', 'adam'] as const) {
        const job: MemoryJob = optimizer === 'sgd' ? 'torch-sgd' : 'torch-adam';
        if (!wanted(job)) continue;
        if (!torch.available) {
          failed(job, `PyTorch not measured: ${torch.reason}`);
          continue;
        }
        onRun?.(`${preset} PyTorch ${optimizer}`);
        try {
          const r = await runTorch(python, preset, optimizer, o);
          torch.blasKernel = r.blasKernel;
          row(job, r.peakRssMB * 2 ** 20, r.msPerStep);
        } catch (e) {
          failed(job, e);
        }
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { options: o, rows, torch, targets: memoryTargets(rows) };
}

const maxOf = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.max(a, b));

/** The memory targets, from the rows (null when a number is missing). */
export function memoryTargets(rows: MemoryRow[]): MemoryTarget[] {
  const get = (preset: string, job: MemoryJob, what: 'peakRssMiB' | 'msPerStep') =>
    rows.find((r) => r.preset === preset && r.job === job)?.[what] ?? null;
  const target = (name: string, a: number | null, limit: number | null, factor: number, unit: string): MemoryTarget => {
    if (a === null || limit === null) return { name, pass: null, detail: 'not measured' };
    return {
      name,
      pass: a <= factor * limit,
      detail: `${a.toFixed(0)} ${unit} vs ${(factor * limit).toFixed(0)} ${unit} (${(a / limit).toFixed(2)}x)`,
    };
  };
  return [
    target('base: static peak RSS <= PyTorch SGD', get('base', 'static', 'peakRssMiB'), get('base', 'torch-sgd', 'peakRssMiB'), 1, 'MiB'),
    target(
      'base: static peak RSS <= 0.75x PyTorch Adam',
      get('base', 'static', 'peakRssMiB'),
      get('base', 'torch-adam', 'peakRssMiB'),
      0.75,
      'MiB',
    ),
    target(
      'base: probe peak RSS <= 1.1x PyTorch Adam',
      get('base', 'probe', 'peakRssMiB'),
      get('base', 'torch-adam', 'peakRssMiB'),
      1.1,
      'MiB',
    ),
    ...PROBES.slice(1).map(([job, magnitude]) =>
      target(
        `base: lean pipeline (probe --magnitude ${magnitude}, then static) peak RSS <= 0.8x PyTorch Adam`,
        maxOf(get('base', job, 'peakRssMiB'), get('base', 'static', 'peakRssMiB')),
        get('base', 'torch-adam', 'peakRssMiB'),
        0.8,
        'MiB',
      ),
    ),
    target(
      'large: static peak RSS <= PyTorch SGD',
      get('large', 'static', 'peakRssMiB'),
      get('large', 'torch-sgd', 'peakRssMiB'),
      1,
      'MiB',
    ),
    target('base: static ms/step <= PyTorch SGD', get('base', 'static', 'msPerStep'), get('base', 'torch-sgd', 'msPerStep'), 1, 'ms'),
    target('base: probe ms/step <= 1.3x static', get('base', 'probe', 'msPerStep'), get('base', 'static', 'msPerStep'), 1.3, 'ms'),
  ];
}

const LABEL: Record<MemoryJob, string> = {
  static: 'graftlr static',
  probe: 'graftlr probe --magnitude adam',
  'probe-factored-adam': 'graftlr probe --magnitude factored-adam',
  'probe-factored-adam-bf16': 'graftlr probe --magnitude factored-adam-bf16',
  'probe-factored-rms': 'graftlr probe --magnitude factored-rms',
  adam: 'graftlr adam',
  'torch-sgd': 'PyTorch SGD',
  'torch-adam': 'PyTorch Adam',
};

/** The result as a markdown table plus the target lines. */
export function formatMemoryBench(b: MemoryBenchResult): string {
  const o = b.options;
  const torch = b.torch.available
    ? `PyTorch ${b.torch.version} on ${b.torch.blasKernel ?? 'an unknown BLAS'}`
    : `PyTorch not measured (${b.torch.reason})`;
  const lines = [
    `memory benchmark: batch ${o.batchSize} x ${o.seqLen}, ${o.steps} steps per job (median ms/step after the first), each job in its own process; ${torch}`,
    '',
    '| preset | job | peak RSS | ms/step | vs PyTorch SGD | vs PyTorch Adam |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of b.rows) {
    const ref = (job: MemoryJob) => b.rows.find((x) => x.preset === r.preset && x.job === job)?.peakRssMiB ?? null;
    const ratio = (job: MemoryJob) => (r.peakRssMiB !== null && ref(job) ? `${(r.peakRssMiB / ref(job)!).toFixed(2)}x` : '-');
    const rss = r.failed ? `failed: ${r.failed}` : `${r.peakRssMiB!.toFixed(0)} MiB`;
    lines.push(
      `| ${r.preset} | ${LABEL[r.job]} | ${rss} | ${r.msPerStep === null ? '-' : r.msPerStep.toFixed(0)} | ${ratio('torch-sgd')} | ${ratio('torch-adam')} |`,
    );
  }
  lines.push('');
  for (const t of b.targets) lines.push(`${t.pass === null ? 'n/a ' : t.pass ? 'pass' : 'FAIL'}  ${t.name}: ${t.detail}`);
  return lines.join('\n');
}
