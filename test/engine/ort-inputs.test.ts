/**
 * Bad inputs to the ort engine and trainer fail with one-line errors naming the bad value, before any
 * graph runs (an out-of-range id would otherwise fail deep inside onnxruntime).
 */
import { describe, expect, it } from 'vitest';
import { createOrtSgdTrainer } from '../../src/engine/ort/sgd-trainer.js';
import { validateConfig, type BertConfig } from '../../src/model/config.js';
import { initValues } from '../../src/model/init.js';
import { paddedBatch } from './fixtures.js';

const config: BertConfig = validateConfig({
  vocabSize: 32,
  hiddenSize: 8,
  numLayers: 1,
  numHeads: 2,
  intermediateSize: 16,
  maxPositions: 8,
  typeVocabSize: 2,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.02,
});

describe('ort trainer input checks', () => {
  it('names the bad id, the empty selection, the too-long sequence and the missing learning rate', async () => {
    const initial = initValues(config, 1);
    const trainer = await createOrtSgdTrainer(config, initial);
    const lr = Object.fromEntries(Object.keys(initial).map((n) => [n, 0.1]));
    const good = paddedBatch(config, 2, 8, 1);

    const badId = { ...good, inputIds: good.inputIds.map((v, i) => (i === 3 ? 32 : v)) };
    await expect(trainer.step(badId, lr)).rejects.toThrow('inputIds[3] = 32 is outside [0, 32)');
    const none = { ...good, maskedPositions: new Int32Array(0), maskedLabels: new Int32Array(0) };
    await expect(trainer.step(none, lr)).rejects.toThrow('no masked positions');
    await expect(trainer.step(paddedBatch(config, 1, 9, 2), lr)).rejects.toThrow('seqLen = 9 is invalid');
    const { ['cls.predictions.bias']: _dropped, ...partial } = lr;
    await expect(trainer.step(good, partial)).rejects.toThrow('lrByParam["cls.predictions.bias"] = undefined is invalid');

    // The failed calls changed nothing: a good step still runs from the initial values (loss ~ ln 32).
    const r = await trainer.step(good, lr);
    expect(Math.abs(r.loss - Math.log(32))).toBeLessThan(0.05);
    await trainer.dispose();
  });

  it('refuses a clip norm that is not positive', async () => {
    await expect(createOrtSgdTrainer(config, initValues(config, 1), { clipNorm: 0 })).rejects.toThrow('clipNorm = 0 is invalid');
  });
});
