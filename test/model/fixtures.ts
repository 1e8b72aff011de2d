/** Small configs and hand-built batches shared by the model tests (no dependency on src/data). */
import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../../src/data/batch.js';
import { validateConfig, type BertConfig } from '../../src/model/config.js';
import type { RefParams } from './reference.js';

/** A config small enough for float64 finite differences: 2 layers, 2 heads, d = 4. */
export const smallConfig: BertConfig = validateConfig({
  vocabSize: 13,
  hiddenSize: 8,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 12,
  maxPositions: 7,
  typeVocabSize: 2,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.5,
});

/**
 * B = 2, T = 5. Sequence 0 is all real tokens; sequence 1 has two padding positions (id 0, mask 0).
 * Selected positions are flat indices b * T + t: (0,1), (0,3), (1,1), (1,2).
 */
export function paddedBatch(): MlmBatch {
  return {
    batchSize: 2,
    seqLen: 5,
    inputIds: Int32Array.from([2, 5, 7, 3, 9, 4, 6, 1, 0, 0]),
    attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]),
    tokenTypeIds: Int32Array.from([0, 0, 1, 1, 1, 0, 1, 1, 0, 0]),
    maskedPositions: Int32Array.from([1, 3, 6, 7]),
    maskedLabels: Int32Array.from([8, 10, 2, 12]),
  };
}

/** float64 copies of tensor parameters, for the reference model. Borrows the tensors. */
export function toRef(params: Record<string, tf.Tensor>): RefParams {
  const out: RefParams = {};
  for (const [name, t] of Object.entries(params)) out[name] = { shape: t.shape, data: Float64Array.from(t.dataSync()) };
  return out;
}
