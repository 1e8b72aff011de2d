/**
 * graftlr bench (npm run bench): optimizer speed and memory side by side, in one call;
 * graftlr bench --memory (npm run bench:memory): peak memory at BERT sizes beside PyTorch's.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../formats/atomic.js';
import { formatMemoryBench, MEMORY_JOBS, runMemoryBench, type MemoryJob } from '../experiments/bench/memory.js';
import { formatBench, runBench } from '../experiments/bench/optimizers.js';
import type { EngineName } from '../engine/types.js';
import { isPresetName, PRESETS } from '../model/config.js';
import { flag, UsageError, type ParsedArgs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { backendFlag, setupBackend } from './common.js';
import { noPositionals } from './run-flags.js';

const MEMORY_DEFAULTS = { presets: ['small', 'base', 'large'], batchSize: 8, steps: 3 };
const SPEED_DEFAULTS = { batchSize: 32, steps: 20 };

export const benchCommand: Command = {
  name: 'bench',
  summary: 'ms/step, tokens/s, peak RSS and optimizer state for Adam, SGD, static SGD and the probe, side by side',
  usage:
    'graftlr bench [--preset tiny] [--engines ort,tfjs] [--steps 20] [--json] [--out runs/bench-<preset>.json]\n' +
    '       graftlr bench --memory [--presets small,base,large] [--batch-size 8] [--seq-len 128] [--steps 3] [--timeout 1800]',
  details:
    'Engine-level numbers (GFLOP/s against a measured GEMM peak) come from scripts/bench-engines.ts.\n' +
    '--memory: for each preset, each job in its own process: peak RSS and ms/step of graftlr static, probe and adam beside\n' +
    'PyTorch SGD and Adam (scripts/bench-torch.py, the same model; with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from\n' +
    'its environment; the table says which OpenBLAS kernel it ran, or that no python3 imports torch), and the memory targets.',
  flags: {
    preset: { type: 'string', choices: Object.keys(PRESETS), default: 'tiny', help: 'model size preset' },
    engines: { type: 'list', default: ['ort'], help: 'engines to measure: ort, tfjs' },
    memory: { type: 'boolean', help: 'the memory benchmark at BERT sizes instead (see below)' },
    presets: { type: 'list', help: `--memory: presets to measure (default ${MEMORY_DEFAULTS.presets.join(',')})` },
    jobs: {
      type: 'list',
      help: `--memory: jobs to run (default all: ${MEMORY_JOBS.join(',')}); static runs the full-Adam probe too, for its schedule`,
    },
    steps: {
      type: 'int',
      min: 3,
      help: `steps per run, the first is warm-up (default ${SPEED_DEFAULTS.steps}; --memory: ${MEMORY_DEFAULTS.steps})`,
    },
    'batch-size': {
      type: 'int',
      min: 1,
      help: `sequences per batch (default ${SPEED_DEFAULTS.batchSize}; --memory: ${MEMORY_DEFAULTS.batchSize})`,
    },
    'seq-len': { type: 'int', min: 3, max: 512, default: 128, help: 'tokens per sequence' },
    timeout: { type: 'int', min: 10, default: 1800, help: '--memory: seconds a job may run before it is stopped and reported as failed' },
    python: {
      type: 'string',
      help: '--memory: the Python that runs PyTorch (default: the first of python3, /usr/bin/python3 that imports torch)',
    },
    'cache-dir': { type: 'string', default: '.cache/graftlr', help: 'tokenizer and encoded corpus cache' },
    out: { type: 'string', help: 'JSON file to write (default runs/bench-<preset>.json, --memory: runs/bench-memory.json)' },
    json: { type: 'boolean', help: 'print JSON instead of the table' },
    ...backendFlag,
  },
  async run(args, io) {
    noPositionals(args);
    const backend = await setupBackend(args, io);
    return flag.bool(args, 'memory') ? memoryBench(args, io, backend) : speedBench(args, io, backend);
  },
};

async function speedBench(args: ParsedArgs, io: CommandIo, backend: string): Promise<number> {
  const engines = (flag.list(args, 'engines') ?? []).map((e) => {
    if (e !== 'ort' && e !== 'tfjs') throw new UsageError(`--engines: "${e}" is not one of ort, tfjs`);
    return e as EngineName;
  });
  const preset = flag.str(args, 'preset')!;
  const result = await runBench(
    {
      preset,
      engines,
      steps: flag.int(args, 'steps') ?? SPEED_DEFAULTS.steps,
      batchSize: flag.int(args, 'batch-size') ?? SPEED_DEFAULTS.batchSize,
      seqLen: flag.int(args, 'seq-len')!,
      backend,
      cacheDir: flag.str(args, 'cache-dir'),
    },
    (label) => io.err(`running ${label}`),
  );
  const out = flag.str(args, 'out') ?? path.join('runs', `bench-${preset}.json`);
  writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
  io.out(flag.bool(args, 'json') ? JSON.stringify(result) : formatBench(result));
  io.err(`wrote ${out}`);
  return 0;
}

async function memoryBench(args: ParsedArgs, io: CommandIo, backend: string): Promise<number> {
  const presets = flag.list(args, 'presets') ?? MEMORY_DEFAULTS.presets;
  for (const p of presets) if (!isPresetName(p)) throw new UsageError(`--presets: "${p}" is not one of ${Object.keys(PRESETS).join(', ')}`);
  const jobs = flag.list(args, 'jobs');
  for (const j of jobs ?? []) {
    if (!(MEMORY_JOBS as readonly string[]).includes(j)) throw new UsageError(`--jobs: "${j}" is not one of ${MEMORY_JOBS.join(', ')}`);
  }
  const started = Date.now();
  const result = await runMemoryBench(
    {
      presets,
      batchSize: flag.int(args, 'batch-size') ?? MEMORY_DEFAULTS.batchSize,
      seqLen: flag.int(args, 'seq-len')!,
      steps: flag.int(args, 'steps') ?? MEMORY_DEFAULTS.steps,
      timeoutSeconds: flag.int(args, 'timeout')!,
      python: flag.str(args, 'python'),
      backend,
      cacheDir: flag.str(args, 'cache-dir'),
      jobs: jobs as MemoryJob[] | undefined,
    },
    (label) => io.err(`running ${label} (${Math.round((Date.now() - started) / 1000)} s so far)`),
  );
  const out = flag.str(args, 'out') ?? path.join('runs', 'bench-memory.json');
  writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
  io.out(flag.bool(args, 'json') ? JSON.stringify(result) : formatMemoryBench(result));
  io.err(`wrote ${out}`);
  return 0;
}
