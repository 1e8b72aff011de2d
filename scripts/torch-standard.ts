/**
 * The same MLM built from PyTorch's own layers (scripts/torch-standard.py: nn.TransformerEncoderLayer,
 * PyTorch's default initialisation), trained with torch.optim.Adam on graftlr's batches at the learning
 * rates of `graftlr train --optimizer adam` (warmup 5%, then linear to 0), evaluated on the held-out batches
 * graftlr evaluates. Nothing of graftlr's model or init is used, so if this curve also sits between the
 * unigram and bigram losses (scripts/count-baselines.ts), that level belongs to the setting, not to graftlr.
 *
 *   node bin/run-script.mjs scripts/torch-standard.ts [--preset tiny] [--steps 2000] [--batch 16] [--seq 64]
 *     [--lr 2e-3] [--eval-every 250] [--eval-sequences 256] [--seed 0]
 *
 * Needs a python3 with torch (Debian: apt-get install python3-torch). Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { MlmBatch } from '../src/data/batch.js';
import { makeBatcher } from '../src/data/mlm.js';
import { prepareData } from '../src/data/prepare.js';
import { presetConfig } from '../src/model/config.js';
import { baseSchedule } from '../src/optim/schedule-spec.js';
import { heldoutBatches } from '../src/run/train/setup.js';
import { findTorchPython } from '../src/experiments/bench/torch-python.js';

const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    steps: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '16' },
    seq: { type: 'string', default: '64' },
    lr: { type: 'string', default: '2e-3' },
    'eval-every': { type: 'string', default: '250' },
    'eval-sequences': { type: 'string', default: '256' },
    seed: { type: 'string', default: '0' },
    'cache-dir': { type: 'string', default: '.cache/graftlr' },
  },
});
const python = findTorchPython();
if (!python) {
  console.error('torch-standard: no python3 with torch found (Debian: apt-get install python3-torch)');
  process.exit(2);
}
const steps = Number(a.steps),
  batchSize = Number(a.batch),
  seqLen = Number(a.seq),
  seed = Number(a.seed);
const data = prepareData({ corpus: 'sotu', vocabSize: 8192, seqLen, cacheDir: a['cache-dir'] });
const config = presetConfig(a.preset!, { vocabSize: data.tokenizer.vocabSize });
const eta = baseSchedule({ peakLr: Number(a.lr), warmupSteps: Math.round(0.05 * steps), totalSteps: steps });
const plain = (b: MlmBatch) => ({
  ids: Array.from(b.inputIds),
  mask: Array.from(b.attentionMask),
  pos: Array.from(b.maskedPositions),
  labels: Array.from(b.maskedLabels),
});
const batcher = makeBatcher({ sequences: data.train, batchSize, seed });
const input = {
  config,
  seqLen,
  seed,
  evalEvery: Number(a['eval-every']),
  lrs: Array.from({ length: steps }, (_, t) => eta(t)),
  batches: Array.from({ length: steps }, (_, t) => plain(batcher.batchAt(t))),
  heldout: heldoutBatches({ batchSize, evalSequences: Number(a['eval-sequences']) }, data).heldout.map(plain),
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-torch-standard-'));
const file = path.join(dir, 'input.json');
fs.writeFileSync(file, JSON.stringify(input));
const script = fileURLToPath(new URL('./torch-standard.py', import.meta.url));
const out = JSON.parse(
  execFileSync(python, [script, file], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] }),
);
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ preset: a.preset, steps, batch: `${batchSize}x${seqLen}`, lr: Number(a.lr), seed, ...out }));
