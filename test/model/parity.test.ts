/**
 * wasm against cpu on the whole model: same loss and the same gradient for every parameter, on a
 * padded batch with 4 heads, 2 layers and dropout (so the wasm-only kernels -- split rows,
 * gatherND/scatterND embedding gradients -- and every kernel of forward + backward run on wasm).
 * Both are float32 with different summation orders (~1e-6 relative); a wrong term gives O(1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import type { MlmBatch } from '../../src/data/batch.js';
import { initParams, lossAndGrads } from '../../src/model/bert.js';
import { validateConfig } from '../../src/model/config.js';
import { rng } from '../../src/core/random.js';

const config = validateConfig({
  vocabSize: 96,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 64,
  maxPositions: 16,
  typeVocabSize: 2,
  dropout: 0.1,
  layerNormEps: 1e-12,
  initStd: 0.1,
});

/**
 * B = 4, T = 16; row b has 16 - 3b real tokens, then padding; ~1/4 of the real tokens selected.
 * B T = 64 and V = 96 rows are multiples of 32, so wasm takes the two-step transpose path too.
 */
function batch(): MlmBatch {
  const B = 4,
    T = 16,
    r = rng(4, 'parity');
  const inputIds = new Int32Array(B * T),
    attentionMask = new Int32Array(B * T),
    tokenTypeIds = new Int32Array(B * T);
  const positions: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T - 3 * b; t++) {
      const i = b * T + t;
      inputIds[i] = 1 + r.int(config.vocabSize - 1);
      attentionMask[i] = 1;
      tokenTypeIds[i] = t < 5 ? 0 : 1;
      if (r.uniform() < 0.25) positions.push(i);
    }
  }
  return {
    batchSize: B,
    seqLen: T,
    inputIds,
    attentionMask,
    tokenTypeIds,
    maskedPositions: Int32Array.from(positions),
    maskedLabels: Int32Array.from(positions, () => r.int(config.vocabSize)),
  };
}

async function run(backend: 'cpu' | 'wasm') {
  await initBackend({ prefer: backend });
  const params = initParams(config, 3);
  const { loss, accuracy, grads } = lossAndGrads(params, config, batch(), { training: true, seed: 5, step: 2 });
  const host: Record<string, Float32Array> = {};
  for (const [name, g] of Object.entries(grads)) host[name] = Float32Array.from(g.dataSync());
  tf.dispose([...Object.values(params), ...Object.values(grads)]);
  return { loss, accuracy, grads: host };
}

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

describe('wasm vs cpu', () => {
  test('loss, accuracy and every gradient agree (rtol 1e-4)', async () => {
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5 * cpu.loss);
    expect(wasm.accuracy).toBe(cpu.accuracy);
    expect(Object.keys(wasm.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    for (const name of Object.keys(cpu.grads)) {
      const a = wasm.grads[name],
        b = cpu.grads[name];
      if (name.endsWith('attention.self.key.bias')) {
        // true gradient 0 (softmax ignores a per-row shift): both are rounding noise
        const ref = norm(cpu.grads[name.replace('key.bias', 'query.bias')]);
        expect(norm(a), name).toBeLessThan(1e-5 * ref);
        continue;
      }
      const scale = Math.max(...Array.from(b, Math.abs));
      expect(scale, name).toBeGreaterThan(0);
      for (let j = 0; j < b.length; j++) {
        expect(Math.abs(a[j] - b[j]), `${name}[${j}]: wasm ${a[j]} cpu ${b[j]}`).toBeLessThanOrEqual(1e-4 * scale);
      }
    }
    await initBackend({ prefer: 'cpu' });
  });
});
