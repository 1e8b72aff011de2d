/**
 * The ort engine against the tfjs engine (cpu backend, autodiff over src/model/bert.ts) on the `tiny`
 * and `mini` architectures (vocabulary shrunk to 512 for speed) and a padded batch (the last row ends in
 * padding). Per tensor, rel = ||g_ort - g_tfjs|| / ||g_tfjs|| <= 1e-4: both are float32 with different
 * summation orders, which gives ~1e-6; a wrong term gives O(1).
 *
 * The key biases are the exception: adding a constant to every key adds q . bk to a whole row of scores,
 * which softmax ignores, so dL/dbk = 0 exactly and both engines return rounding noise. There we check
 * that both norms are below 1e-6 of the query-bias gradient norm of the same layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { createOrtEngine } from '../../src/engine/ort/engine.js';
import { createTfjsEngine } from '../../src/engine/tfjs.js';
import { presetConfig, type BertConfig } from '../../src/model/config.js';
import { disposeParams, fromHost } from '../../src/core/params.js';
import { randomHostParams } from '../model/onnx/reference.js';
import { paddedBatch } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function relError(a: Float32Array, b: Float32Array): number {
  const diff = Float64Array.from(a, (x, i) => x - b[i]);
  return norm(diff) / norm(b);
}

async function compare(config: BertConfig, T: number, step = 0): Promise<number> {
  const params = fromHost(randomHostParams(config, 7, 0.05));
  const batch = paddedBatch(config, 4, T, 21);
  const ort = await createOrtEngine(config, { seed: 9 });
  const tfjs = createTfjsEngine(config, { seed: 9 });
  const a = await ort.lossAndGrads(params, batch, step);
  const b = await tfjs.lossAndGrads(params, batch, step);
  expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * b.loss);
  expect(a.accuracy).toBe(b.accuracy);
  const names = Object.keys(b.grads).sort();
  expect(Object.keys(a.grads).sort()).toEqual(names);
  for (const name of names) {
    const ga = a.grads[name].dataSync() as Float32Array,
      gb = b.grads[name].dataSync() as Float32Array;
    if (name.endsWith('attention.self.key.bias')) {
      const ref = norm(b.grads[name.replace('key.bias', 'query.bias')].dataSync());
      expect(norm(ga), name).toBeLessThan(1e-6 * ref);
      expect(norm(gb), name).toBeLessThan(1e-6 * ref);
      continue;
    }
    expect(relError(ga, gb), name).toBeLessThanOrEqual(1e-4);
  }
  const evalOrt = await ort.evaluate(params, [batch, paddedBatch(config, 2, T, 22)]);
  const evalTfjs = await tfjs.evaluate(params, [batch, paddedBatch(config, 2, T, 22)]);
  expect(evalOrt.tokens).toBe(evalTfjs.tokens);
  expect(Math.abs(evalOrt.loss - evalTfjs.loss)).toBeLessThan(1e-5 * evalTfjs.loss);
  expect(Math.abs(evalOrt.loss - a.loss)).toBeGreaterThan(0); // the second batch counts
  tf.dispose([...Object.values(a.grads), ...Object.values(b.grads)]);
  disposeParams(params);
  await ort.dispose();
  return a.loss;
}

describe('ort engine gradients vs the tfjs engine', () => {
  const before = { tensors: 0 };
  beforeAll(() => {
    before.tensors = tf.memory().numTensors;
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(before.tensors);
  });

  it('tiny architecture (L=2, H=128, A=2, I=512), vocab 512, B=4, T=32', async () => {
    await compare(presetConfig('tiny', { vocabSize: 512, maxPositions: 64 }), 32);
  }, 60_000);

  it('dropout 0.2: the same keep-masks rng(seed, dropout, step, site) in both engines', async () => {
    const c = { ...presetConfig('tiny', { vocabSize: 256, maxPositions: 32 }), numLayers: 1, hiddenSize: 32, intermediateSize: 64 };
    const withDropout = await compare({ ...c, dropout: 0.2 }, 16, 3);
    const otherStep = await compare({ ...c, dropout: 0.2 }, 16, 4);
    const without = await compare(c, 16);
    // The masks matter: a different step or no dropout changes the loss by far more than float noise.
    expect(Math.abs(withDropout - without)).toBeGreaterThan(1e-3);
    expect(Math.abs(withDropout - otherStep)).toBeGreaterThan(1e-3);
  }, 60_000);

  it('mini architecture (L=4, H=256, A=4, I=1024), vocab 512, B=4, T=16', async () => {
    await compare(presetConfig('mini', { vocabSize: 512, maxPositions: 64 }), 16);
  }, 60_000);
});
