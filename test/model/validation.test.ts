/** Bad configs and bad batches fail early with a message that names the value and the fix. */
import { describe, expect, test } from 'vitest';
import type { MlmBatch } from '../../src/data/batch.js';
import { initParams, lossAndGrads, mlmLoss } from '../../src/model/bert.js';
import { presetConfig, validateConfig } from '../../src/model/config.js';
import { checkBatch } from '../../src/model/batch-check.js';
import { paddedBatch, smallConfig } from './fixtures.js';
import { beforeAll } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('config validation', () => {
  test('each bad field is named with its allowed range', () => {
    const ok = smallConfig;
    expect(() => validateConfig({ ...ok, hiddenSize: 10, numHeads: 3 })).toThrow(
      'config.hiddenSize = 10 must be divisible by config.numHeads = 3',
    );
    expect(() => validateConfig({ ...ok, vocabSize: 4 })).toThrow(/config.vocabSize = 4 is invalid: expected an integer >= 8/);
    expect(() => validateConfig({ ...ok, numLayers: 1.5 })).toThrow(/config.numLayers = 1.5 is invalid/);
    expect(() => validateConfig({ ...ok, dropout: 1 })).toThrow('config.dropout = 1 is invalid: expected [0, 1)');
    expect(() => validateConfig({ ...ok, layerNormEps: 0 })).toThrow(/config.layerNormEps = 0 is invalid/);
    expect(() => validateConfig({ ...ok, initStd: -1 })).toThrow(/config.initStd = -1 is invalid/);
    expect(() => presetConfig('huge')).toThrow('unknown preset "huge": choose one of tiny, mini, small, base');
    expect(() => initParams({ ...ok, numHeads: 3 }, 0)).toThrow(/divisible/);
    expect(validateConfig(ok)).toBe(ok);
  });
});

describe('batch checks', () => {
  const bad = (patch: Partial<MlmBatch>): MlmBatch => ({ ...paddedBatch(), ...patch });
  test('out-of-range ids, wrong lengths and bad masks are refused before any tensor work', () => {
    expect(() => checkBatch(smallConfig, bad({ inputIds: Int32Array.from([2, 5, 7, 3, 13, 4, 6, 1, 0, 0]) }))).toThrow(
      'inputIds[4] = 13 is outside [0, 13): the tokenizer vocabulary does not match config.vocabSize',
    );
    expect(() => checkBatch(smallConfig, bad({ tokenTypeIds: new Int32Array(9) }))).toThrow(
      'tokenTypeIds has 9 entries, expected batchSize * seqLen = 10',
    );
    expect(() => checkBatch(smallConfig, bad({ attentionMask: new Int32Array(10).fill(2) }))).toThrow(
      'attentionMask[0] = 2 is outside [0, 2): use 1 for real tokens and 0 for padding',
    );
    expect(() => checkBatch(smallConfig, bad({ maskedPositions: Int32Array.from([1, 3, 6, 10]) }))).toThrow(
      'maskedPositions[3] = 10 is outside [0, 10)',
    );
    expect(() => checkBatch(smallConfig, bad({ maskedLabels: Int32Array.from([1]) }))).toThrow(
      'maskedLabels has 1 entries but maskedPositions has 4',
    );
    expect(() => checkBatch(smallConfig, bad({ seqLen: 10, batchSize: 1 }))).toThrow(
      'seqLen = 10 is invalid: expected an integer in [1, 7] (config.maxPositions)',
    );
  });

  test('an empty selection and dropout without a seed are refused by mlmLoss', () => {
    const params = initParams(smallConfig, 0);
    expect(() =>
      mlmLoss(params, smallConfig, bad({ maskedPositions: new Int32Array(0), maskedLabels: new Int32Array(0) }), { training: false }),
    ).toThrow(/no masked positions/);
    expect(() => mlmLoss(params, { ...smallConfig, dropout: 0.1 }, paddedBatch(), { training: true })).toThrow(
      'dropout = 0.1 in training needs opts.seed and opts.step: pass both (or set dropout 0)',
    );
  });

  test('parameters that do not fit the config are refused by lossAndGrads', () => {
    const params = initParams(smallConfig, 0);
    expect(() => lossAndGrads(params, { ...smallConfig, hiddenSize: 12 }, paddedBatch(), { training: false })).toThrow(
      '"cls.predictions.transform.LayerNorm.beta" is [8] in the parameters but [12] in the config',
    );
    const { ['cls.predictions.bias']: _, ...missing } = params;
    expect(() => lossAndGrads(missing, smallConfig, paddedBatch(), { training: false })).toThrow(
      'the parameters do not match the model config: check the config and the weights ("cls.predictions.bias" [13] is missing from the parameters)',
    );
    expect(() =>
      lossAndGrads({ ...params, extra: params['cls.predictions.bias'] }, smallConfig, paddedBatch(), { training: false }),
    ).toThrow('"extra" [13] is not in the config)');
  });
});
