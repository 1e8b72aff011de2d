/**
 * graftlr's half of the PyTorch bridge tests (python/tests): writes, for one run's options, what PyTorch
 * needs to repeat the run, and with --train also what `graftlr train` did with them.
 *
 *   node bin/run-script.mjs scripts/torch-bridge-fixture.ts --out <dir> [--steps 50] [--batch-size 4]
 *     [--seq-len 16] [--vocab-size 300] [--preset tiny] [--seed 0] [--engine ort] [--schedule <file.graft>]
 *     [--weight-decay 0] [--clip-norm N]
 *
 * <dir>/init.safetensors   the initial weights (seed), Hugging Face BertForMaskedLM names and layout
 * <dir>/inputs.json        {config, batchSize, seqLen, batches: [{ids, mask, types, pos, labels}]} of steps 0..N-1
 * with --schedule, `graftlr train --schedule` runs through runTraining (the library call behind the CLI), and
 * <dir>/final.safetensors  its final weights
 * <dir>/train.json         {engine, losses, lrs}: its per-step losses and base-schedule values
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/runtime/backend.js';
import { readFileChecked } from '../src/formats/atomic.js';
import { toHfStateDict } from '../src/model/hf.js';
import { writeSafetensors } from '../src/formats/safetensors.js';
import { initValues } from '../src/model/init.js';
import type { HostParams } from '../src/core/params.js';
import { checkpointFile, decodeCheckpoint } from '../src/run/train/checkpoint.js';
import { runTraining } from '../src/run/train/run.js';
import { runBatches, runConfig, runData } from '../src/run/train/setup.js';
import { validateTrainOptions, type TrainOptions } from '../src/run/train/train-options.js';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string' },
    steps: { type: 'string', default: '50' },
    'batch-size': { type: 'string', default: '4' },
    'seq-len': { type: 'string', default: '16' },
    'vocab-size': { type: 'string', default: '300' },
    preset: { type: 'string', default: 'tiny' },
    seed: { type: 'string', default: '0' },
    engine: { type: 'string', default: 'ort' },
    schedule: { type: 'string' },
    'cache-dir': { type: 'string', default: '.cache/graftlr' },
    'weight-decay': { type: 'string', default: '0' },
    'clip-norm': { type: 'string' },
  },
});
if (!a.out) {
  console.error('usage: node bin/run-script.mjs scripts/torch-bridge-fixture.ts --out <dir> [--schedule <file.graft>] [options]');
  process.exit(2);
}
const out = a.out;
fs.mkdirSync(out, { recursive: true });
const options: Partial<TrainOptions> = {
  preset: a.preset,
  vocabSize: Number(a['vocab-size']),
  batchSize: Number(a['batch-size']),
  seqLen: Number(a['seq-len']),
  seed: Number(a.seed),
  steps: Number(a.steps),
  engine: a.engine as 'ort' | 'tfjs',
  cacheDir: a['cache-dir'],
  optimizer: a.schedule ? 'static' : 'sgd',
  schedule: a.schedule,
  evalEvery: 0,
  checkpointEvery: 0,
  evalSequences: 0,
  weightDecay: Number(a['weight-decay']),
  clipNorm: a['clip-norm'] === undefined ? undefined : Number(a['clip-norm']),
};
const o = validateTrainOptions(options);
const config = runConfig(o, 'fixture');
const data = runData(o, config, 'fixture');
const batchAt = runBatches(o, data);
const batches = Array.from({ length: o.steps }, (_, t) => {
  const b = batchAt(t);
  return {
    ids: Array.from(b.inputIds),
    mask: Array.from(b.attentionMask),
    types: Array.from(b.tokenTypeIds),
    pos: Array.from(b.maskedPositions),
    labels: Array.from(b.maskedLabels),
  };
});
const writeWeights = (file: string, params: HostParams) =>
  fs.writeFileSync(path.join(out, file), writeSafetensors(toHfStateDict(config, params)));
writeWeights('init.safetensors', initValues(config, o.seed));
fs.writeFileSync(path.join(out, 'inputs.json'), JSON.stringify({ config, batchSize: o.batchSize, seqLen: o.seqLen, batches }));

if (a.schedule) {
  await initBackend({ prefer: 'wasm' });
  const losses: number[] = [],
    lrs: number[] = [];
  const runDir = path.join(out, 'run');
  fs.rmSync(runDir, { recursive: true, force: true });
  const summary = await runTraining(
    { ...options, data, outDir: runDir },
    {
      onStep: (r) => {
        losses.push(r.loss);
        lrs.push(r.lr);
      },
    },
  );
  const ckpt = decodeCheckpoint(readFileChecked(checkpointFile(path.join(runDir, 'checkpoint')), 'checkpoint'));
  writeWeights('final.safetensors', ckpt.params);
  fs.writeFileSync(path.join(out, 'train.json'), JSON.stringify({ engine: summary.engine, losses, lrs }));
}
