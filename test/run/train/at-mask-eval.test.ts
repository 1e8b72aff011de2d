/**
 * The training-time evaluation reports the held-out loss at [MASK] inputs (the context alone) beside the overall
 * loss. Checked against `graftlr eval`'s split of the exported model (onnxruntime, float64 on the host logits),
 * which rebuilds the same held-out batches from the model's recorded data: the same positions and the same
 * losses, on the generic tfjs path and on the fused ort path.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/runtime/backend.js';
import { evaluateModelFile } from '../../../src/run/eval/jobs.js';
import { exportCheckpoint } from '../../../src/run/train/export-checkpoint.js';
import type { TrainOptions } from '../../../src/run/train/train-options.js';
import { runTraining } from '../../../src/run/train/run.js';
import { writeTinyCorpus } from './tiny.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-at-mask-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let base: Partial<TrainOptions>;
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  base = {
    corpus: [writeTinyCorpus(tmp)],
    cacheDir: path.join(tmp, 'cache'),
    vocabSize: 64,
    seqLen: 16,
    batchSize: 4,
    seed: 3,
    evalSequences: 12,
    backend: 'cpu',
    steps: 20,
    evalEvery: 10,
    checkpointEvery: 0,
    optimizer: 'sgd',
    lr: 0.5,
    configOverrides: { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 16 },
  };
});

describe('held-out loss at [MASK] inputs', () => {
  for (const engine of ['tfjs', 'ort'] as const) {
    it(`${engine}: the run's summary and metrics match graftlr eval's [MASK] split of the exported model`, async () => {
      const runDir = path.join(tmp, engine);
      const s = await runTraining({ ...base, engine, outDir: runDir });
      const model = path.join(tmp, `${engine}.onnx`);
      exportCheckpoint({ checkpoint: runDir, out: model });
      const e = await evaluateModelFile({ model, cacheDir: base.cacheDir, trustModelCorpus: true }); // the corpus the model names is this test's own

      expect(e.byInput.mask.tokens).toBeGreaterThan(0);
      expect(e.byInput.mask.tokens).toBeLessThan(e.tokens); // a strict subset: random and kept inputs are left out
      expect(s.heldoutAtMask!.tokens).toBe(e.byInput.mask.tokens);
      expect(s.heldoutAtMask!.loss).toBeCloseTo(e.byInput.mask.loss, 4);
      expect(s.heldoutAtMask!.accuracy).toBeCloseTo(e.byInput.mask.accuracy, 6);
      expect(s.heldout!.loss).toBeCloseTo(e.loss, 4);
      // the two losses differ: the split is not the overall loss under another name
      expect(Math.abs(s.heldoutAtMask!.loss - s.heldout!.loss)).toBeGreaterThan(1e-3);

      const last = JSON.parse(fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!);
      expect(last.eval.heldoutAtMaskLoss).toBe(s.heldoutAtMask!.loss);
      expect(JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).heldoutAtMask.loss).toBe(s.heldoutAtMask!.loss);
    }, 60_000);
  }
});
