/** Training steps and evaluation free every intermediate: tf.memory().numTensors stays flat. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { evaluate, initParams, lossAndGrads } from '../../src/model/bert.js';
import { paddedBatch, smallConfig } from './fixtures.js';

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`memory on ${backend}`, () => {
    test('20 SGD steps (with dropout) and an evaluation leave the tensor count unchanged', async () => {
      await initBackend({ prefer: backend });
      const config = { ...smallConfig, dropout: 0.1 };
      let params = initParams(config, 0);
      const lr = 0.05;
      const step = (s: number) => {
        const { loss, grads } = lossAndGrads(params, config, paddedBatch(), { training: true, seed: 1, step: s });
        const next = tf.tidy(() => {
          const out: Record<string, tf.Tensor> = {};
          for (const name of Object.keys(params)) out[name] = tf.sub(params[name], tf.mul(grads[name], lr)); // w - lr g
          return out;
        });
        tf.dispose([...Object.values(params), ...Object.values(grads)]);
        params = next;
        return loss;
      };
      const first = step(0);
      const count = tf.memory().numTensors; // parameters only, after one full step
      expect(count).toBe(Object.keys(params).length);
      let last = first;
      for (let s = 1; s < 20; s++) {
        last = step(s);
        expect(tf.memory().numTensors, `after step ${s}`).toBe(count);
      }
      evaluate(params, config, [paddedBatch(), paddedBatch()]);
      expect(tf.memory().numTensors).toBe(count);
      expect(last).toBeLessThan(first); // the steps did train (the same batch 20 times)
      tf.dispose(Object.values(params));
    });
  });
}
