/**
 * Test fixtures for ORT evaluation: a 12-piece vocabulary and a "bias-only" model whose logits are
 * exactly cls.predictions.bias at every position, so probabilities and losses follow by hand.
 */
import { validateConfig, type BertConfig } from '../../../src/model/config.js';
import { makeTokenizer } from '../../../src/data/tokenizer.js';
import type { HostParams } from '../../../src/core/params.js';
import { paramShapes } from '../../../src/model/onnx/bert-params.js';

export const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', 'sat', 'on', 'mat', '.', '##s'];
export const tokenizer = makeTokenizer(VOCAB);

export const config: BertConfig = validateConfig({
  vocabSize: VOCAB.length,
  hiddenSize: 8,
  numLayers: 1,
  numHeads: 2,
  intermediateSize: 16,
  maxPositions: 16,
  typeVocabSize: 2,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.02,
});

/**
 * All weights 0, gammas 1, and cls.predictions.bias = `bias` (by token). With zero word embeddings the
 * head computes logits = t . 0 + bias = bias for every row, whatever the encoder does.
 */
export function biasOnlyParams(bias: Record<string, number>): HostParams {
  const out: HostParams = {};
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(name.endsWith('gamma') ? 1 : 0);
    out[name] = { shape, data };
  }
  for (const [token, value] of Object.entries(bias)) out['cls.predictions.bias'].data[VOCAB.indexOf(token)] = value;
  return out;
}
