/**
 * Backend selection, gradient registration, and the wasm kernels added by src/runtime/kernels.ts.
 * @tensorflow/tfjs-node(-gpu) is not installed here, so the automatic choice must fall back to wasm
 * and say why; asking for tensorflow explicitly must fail loudly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { initBackend, missingKernels } from '../../src/runtime/backend.js';
import { initParams, lossAndGrads } from '../../src/model/bert.js';
import { splitRows, transpose2d } from '../../src/runtime/kernels.js';
import { paddedBatch, smallConfig } from '../model/fixtures.js';

const nativeInstalled = await import('@tensorflow/tfjs-node' as string).then(
  () => true,
  () => false,
);

afterAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('initBackend', () => {
  test.skipIf(nativeInstalled)('falls back from tensorflow to wasm and says why; explicit tensorflow throws', async () => {
    const choice = await initBackend();
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toBe(
      'tensorflow unavailable (@tensorflow/tfjs-node-gpu not installed, @tensorflow/tfjs-node not installed); using wasm',
    );
    expect(tf.getBackend()).toBe('wasm');
    await expect(initBackend({ prefer: 'tensorflow' })).rejects.toThrow(
      'backend "tensorflow" cannot be used: @tensorflow/tfjs-node-gpu not installed, @tensorflow/tfjs-node not installed',
    );
    await expect(initBackend({ prefer: 'gpu' as 'cpu' })).rejects.toThrow('backend "gpu" is unknown: choose one of tensorflow, wasm, cpu');
  });

  test('is idempotent and switches backends', async () => {
    expect(await initBackend({ prefer: 'cpu' })).toEqual({ name: 'cpu', reason: 'cpu requested' });
    expect(await initBackend({ prefer: 'wasm' })).toEqual({ name: 'wasm', reason: 'wasm requested' });
    expect(await initBackend({ prefer: 'wasm' })).toEqual({ name: 'wasm', reason: 'wasm requested' });
    expect(tf.getBackend()).toBe('wasm');
  });

  test('registers tfjs-core gradients: d/dx sum(x^3) = 3x^2, d/dx sum(exp x) = exp x', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend({ prefer: backend });
      const x = tf.tensor1d([-1, 0.5, 2]);
      expect(
        Array.from(
          tf
            .grad((a: tf.Tensor) => tf.sum(tf.pow(a, 3)))(x)
            .dataSync(),
        ),
      ).toEqual([3, 0.75, 12]);
      const e = tf
        .grad((a: tf.Tensor) => tf.sum(tf.exp(a)))(x)
        .dataSync();
      [Math.exp(-1), Math.exp(0.5), Math.exp(2)].forEach((v, i) => expect(e[i]).toBeCloseTo(v, 5));
    }
  });
});

describe('wasm kernels', () => {
  test('unsortedSegmentSum (the gradient of gather) exists on wasm and adds duplicates', async () => {
    await initBackend({ prefer: 'wasm' });
    // rows of x go to segments [2, 0, 2, 3]: out[0] = x1, out[1] = 0, out[2] = x0 + x2, out[3] = x3
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const out = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 3], 'int32'), 5);
    expect(Array.from(out.dataSync())).toEqual([3, 4, 0, 0, 6, 8, 7, 8, 0, 0]);
    expect(() => tf.unsortedSegmentSum(x, tf.tensor1d([0, 5, 1, 1], 'int32'), 5)).toThrow('segment id 5 is outside [0, 5)');
    // tf.gather's built-in gradient now works on wasm: d/dt sum(gather(t, [1, 1, 0]) * w) = [w2, w0 + w1]
    const g = tf.grad((t: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.gather(t, tf.tensor1d([1, 1, 0], 'int32')),
          tf.tensor2d([
            [1, 2],
            [3, 4],
            [5, 6],
          ]),
        ),
      ),
    )(tf.zeros([2, 2]));
    expect(Array.from(g.dataSync())).toEqual([5, 6, 4, 6]);
  });

  test('splitRows gives contiguous row blocks on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend({ prefer: backend });
      const blocks = splitRows(tf.reshape(tf.range(0, 12), [6, 2]), 3);
      expect(blocks.map((b) => b.shape)).toEqual([
        [2, 2],
        [2, 2],
        [2, 2],
      ]);
      expect(blocks.map((b) => Array.from(b.dataSync()))).toEqual([
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9, 10, 11],
      ]);
      expect(() => splitRows(tf.zeros([5, 2]), 2)).toThrow('splitRows: 5 rows do not split into 2 blocks');
    }
  });

  test('transpose2d equals tf.transpose for tall, wide and odd shapes', async () => {
    await initBackend({ prefer: 'wasm' });
    for (const [r, c] of [
      [4096, 128],
      [256, 8],
      [96, 5],
      [100, 7],
      [6, 300],
    ]) {
      const x = tf.reshape(tf.range(0, r * c), [r, c]) as tf.Tensor2D;
      const y = transpose2d(x);
      expect(y.shape).toEqual([c, r]);
      expect(Array.from(y.dataSync())).toEqual(Array.from(tf.transpose(x).dataSync()));
      tf.dispose([x, y]);
    }
  });

  test('wasm has every kernel the model uses in forward + backward', async () => {
    // The kernels a cpu training step runs (recorded by tf.profile), looked up on wasm.
    await initBackend({ prefer: 'cpu' });
    const params = initParams({ ...smallConfig, dropout: 0.1 }, 0);
    const info = await tf.profile(() => {
      const { grads } = lossAndGrads(params, { ...smallConfig, dropout: 0.1 }, paddedBatch(), { training: true, seed: 0, step: 0 });
      tf.dispose(Object.values(grads));
    });
    const used = [...new Set(info.kernels.map((k) => k.name))].filter((k) => k !== 'unnamed scope' && k !== 'GraftlrSplitRows');
    expect(used).toContain('Erf');
    expect(used).toContain('ScatterNd');
    await initBackend({ prefer: 'wasm' });
    expect(missingKernels(used)).toEqual([]);
  });
});
