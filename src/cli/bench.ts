/**
 * graftlr bench (npm run bench): optimizer speed and memory side by side, in one call.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { formatBench, runBench } from '../bench/optimizers.js';
import type { EngineName } from '../engine/types.js';
import { flag, UsageError } from './args.js';
import type { Command } from './command.js';
import { backendFlag, setupBackend } from './common.js';
import { noPositionals } from './run-flags.js';
import { PRESETS } from '../model/config.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'ms/step, tokens/s, peak RSS and optimizer state for Adam, SGD, static SGD and the probe, side by side',
  usage: 'graftlr bench [--preset tiny] [--engines ort,tfjs] [--steps 20] [--json] [--out runs/bench-<preset>.json]',
  details: 'Engine-level numbers (GFLOP/s against a measured GEMM peak) come from scripts/bench-engines.ts.',
  flags: {
    preset: { type: 'string', choices: Object.keys(PRESETS), default: 'tiny', help: 'model size preset' },
    engines: { type: 'list', default: ['ort'], help: 'engines to measure: ort, tfjs' },
    steps: { type: 'int', min: 3, default: 20, help: 'steps per run (the first is warm-up)' },
    'batch-size': { type: 'int', min: 1, default: 32, help: 'sequences per batch' },
    'seq-len': { type: 'int', min: 3, max: 512, default: 128, help: 'tokens per sequence' },
    'cache-dir': { type: 'string', default: '.cache/graftlr', help: 'tokenizer and encoded corpus cache' },
    out: { type: 'string', help: 'JSON file to write (default runs/bench-<preset>.json)' },
    json: { type: 'boolean', help: 'print JSON instead of the table' },
    ...backendFlag,
  },
  async run(args, io) {
    noPositionals(args);
    const backend = await setupBackend(args, io);
    const engines = (flag.list(args, 'engines') ?? []).map((e) => {
      if (e !== 'ort' && e !== 'tfjs') throw new UsageError(`--engines: "${e}" is not one of ort, tfjs`);
      return e as EngineName;
    });
    const preset = flag.str(args, 'preset')!;
    const result = await runBench({
      preset, engines, steps: flag.int(args, 'steps')!, batchSize: flag.int(args, 'batch-size')!, seqLen: flag.int(args, 'seq-len')!,
      backend, cacheDir: flag.str(args, 'cache-dir'),
    }, (label) => io.err(`running ${label}`));
    const out = flag.str(args, 'out') ?? path.join('runs', `bench-${preset}.json`);
    writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
    io.out(flag.bool(args, 'json') ? JSON.stringify(result) : formatBench(result));
    io.err(`wrote ${out}`);
    return 0;
  },
};
