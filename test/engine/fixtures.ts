/**
 * Test batches for the engine tests: seeded, with padding in the last row (its last third is [PAD] = 0
 * with attention mask 0), both token types, and about a third of the real positions selected.
 */
import type { MlmBatch } from '../../src/data/batch.js';
import { validateConfig, type BertConfig } from '../../src/model/config.js';
import { rng } from '../../src/core/random.js';

export function paddedBatch(c: BertConfig, B: number, T: number, seed: number): MlmBatch {
  const r = rng(seed, 'test-batch');
  const inputIds = new Int32Array(B * T),
    attentionMask = new Int32Array(B * T),
    tokenTypeIds = new Int32Array(B * T);
  const realInLast = T - Math.max(1, Math.floor(T / 3));
  const positions: number[] = [],
    labels: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      const real = b < B - 1 || t < realInLast;
      if (!real) continue; // [PAD] = 0, mask 0, type 0
      inputIds[i] = 1 + r.int(c.vocabSize - 1);
      attentionMask[i] = 1;
      tokenTypeIds[i] = t >= T / 2 ? Math.min(1, c.typeVocabSize - 1) : 0;
      if (r.uniform() < 0.35 || i === 0) {
        positions.push(i);
        labels.push(r.int(c.vocabSize));
      }
    }
  }
  return {
    batchSize: B,
    seqLen: T,
    inputIds,
    attentionMask,
    tokenTypeIds,
    maskedPositions: Int32Array.from(positions),
    maskedLabels: Int32Array.from(labels),
  };
}

/** A 2-layer model small enough for step-by-step comparisons against the tfjs reference optimizers. */
export const twoLayerConfig: BertConfig = validateConfig({
  vocabSize: 64,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 64,
  maxPositions: 32,
  typeVocabSize: 2,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.02,
});
