/**
 * Training parity with PyTorch: graftlr trains Adam for N steps; PyTorch then trains the same model
 * (scripts/torch-parity.py, the model of scripts/bench-torch.py) from graftlr's initial weights, on
 * graftlr's batches, with graftlr's per-step learning rates. Same numbers in, so the two loss curves
 * must agree to float32 drift; this checks the model, its gradients and Adam end to end against an
 * independent implementation over a real run, not just one step.
 *
 *   node bin/run-script.mjs scripts/torch-parity.ts [--preset tiny] [--steps 300] [--batch 16] [--seq 64]
 *     [--lr 2e-3] [--corpus sotu] [--vocab-size 8192] [--engine ort]
 *
 * Needs a python3 with torch (Debian: apt-get install python3-torch); prints one JSON line: both curves
 * as 25-step means and the largest per-step difference over the first 20 steps and over the run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/runtime/backend.js';
import { makeBatcher } from '../src/data/mlm.js';
import { prepareData } from '../src/data/prepare.js';
import { presetConfig } from '../src/model/config.js';
import { initValues } from '../src/model/init.js';
import { runTraining } from '../src/run/train/run.js';
import { findTorchPython } from '../src/experiments/bench/torch-python.js';

const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    steps: { type: 'string', default: '300' },
    batch: { type: 'string', default: '16' },
    seq: { type: 'string', default: '64' },
    lr: { type: 'string', default: '2e-3' },
    corpus: { type: 'string', default: 'sotu' },
    'vocab-size': { type: 'string', default: '8192' },
    engine: { type: 'string', default: 'ort' },
    'cache-dir': { type: 'string', default: '.cache/graftlr' },
  },
});
const steps = Number(a.steps),
  batchSize = Number(a.batch),
  seqLen = Number(a.seq),
  vocabSize = Number(a['vocab-size']);
const corpus = a.corpus === 'sotu' ? 'sotu' : a.corpus!.split(',');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-torch-parity-'));

await initBackend({ prefer: 'wasm' }); // Adam's update runs in tfjs

// 1. graftlr: Adam on the ort (or tfjs) engine, seed 0; the records carry loss and lr per step.
const losses: number[] = [],
  lrs: number[] = [];
await runTraining(
  {
    preset: a.preset,
    corpus,
    vocabSize,
    batchSize,
    seqLen,
    seed: 0,
    engine: a.engine as 'ort' | 'tfjs',
    cacheDir: a['cache-dir'],
    optimizer: 'adam',
    lr: Number(a.lr),
    steps,
    evalEvery: 0,
    checkpointEvery: 0,
    evalSequences: 0,
  },
  {
    onStep: (r) => {
      losses.push(r.loss);
      lrs.push(r.lr);
    },
  },
);

// 2. The same inputs for PyTorch: initial weights (seed 0) and the batches of steps 0..N-1.
const data = prepareData({ corpus, vocabSize, seqLen, cacheDir: a['cache-dir'] });
const config = presetConfig(a.preset!, { vocabSize: data.train.vocabSize });
const batcher = makeBatcher({ sequences: data.train, batchSize, seed: 0 });
const batches = Array.from({ length: steps }, (_, t) => {
  const b = batcher.batchAt(t);
  return {
    ids: Array.from(b.inputIds),
    mask: Array.from(b.attentionMask),
    types: Array.from(b.tokenTypeIds),
    pos: Array.from(b.maskedPositions),
    labels: Array.from(b.maskedLabels),
  };
});
const init = Object.fromEntries(Object.entries(initValues(config, 0)).map(([n, p]) => [n, { shape: p.shape, data: Array.from(p.data) }]));
const input = path.join(dir, 'input.json');
fs.writeFileSync(input, JSON.stringify({ config, batchSize, seqLen, lrs, batches, init }));

// 3. PyTorch from the same numbers.
const script = fileURLToPath(new URL('./torch-parity.py', import.meta.url));
const python = findTorchPython();
if (!python) {
  console.error('torch-parity: no python3 with torch found (Debian: apt-get install python3-torch)');
  process.exit(2);
}
const torchLosses: number[] = JSON.parse(execFileSync(python, [script, input], { encoding: 'utf8', maxBuffer: 1 << 24 }));
fs.rmSync(dir, { recursive: true, force: true });

const means = (xs: number[]) =>
  Array.from({ length: Math.ceil(xs.length / 25) }, (_, i) => {
    const w = xs.slice(25 * i, 25 * i + 25);
    return Number((w.reduce((s, x) => s + x, 0) / w.length).toFixed(4));
  });
const maxDiff = (n: number) => Math.max(...losses.slice(0, n).map((l, t) => Math.abs(l - torchLosses[t])));
console.log(
  JSON.stringify({
    preset: a.preset,
    steps,
    batch: `${batchSize}x${seqLen}`,
    lr: Number(a.lr),
    engine: a.engine,
    maxDiffFirst20: maxDiff(20),
    maxDiffAll: maxDiff(steps),
    graftlr25: means(losses),
    torch25: means(torchLosses),
  }),
);
