/**
 * Building blocks against values derived by hand, on cpu and on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { dense, gelu, layerNorm, lookup, sumRows } from '../../src/model/layers.js';

const close = (t: tf.Tensor, want: number[], digits = 5) => {
  const got = Array.from(t.dataSync());
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(v, `entry ${i}`).toBeCloseTo(want[i], digits));
};

afterAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`layers on ${backend}`, () => {
    test('layerNorm value and gradient', async () => {
      await initBackend({ prefer: backend });
      // x = [1, 2, 3, 4]: mean 2.5, var = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, rstd = 1/sqrt(1.25) = 0.894427
      // xhat = (x - 2.5) * rstd = [-1.341641, -0.447214, 0.447214, 1.341641]
      const x = tf.tensor2d([[1, 2, 3, 4]]);
      const ones = tf.ones([4]) as tf.Tensor1D,
        zeros = tf.zeros([4]) as tf.Tensor1D;
      close(layerNorm(x, ones, zeros, 1e-12), [-1.341641, -0.447214, 0.447214, 1.341641]);
      // gamma = [1, 2, 3, 4], beta = 1: y = xhat * gamma + 1
      close(layerNorm(x, tf.tensor1d([1, 2, 3, 4]), tf.ones([4]) as tf.Tensor1D, 1e-12), [
        1 - 1.341641,
        1 - 0.894427,
        1 + 1.341641,
        1 + 5.366563,
      ]);
      // dy = [1, 0, 0, 0], gamma = 1: dx = rstd (dy - mean(dy) - xhat mean(dy xhat))
      //   mean(dy) = 0.25, mean(dy xhat) = -1.341641 / 4 = -0.335410
      //   dx = 0.894427 ([0.75, -0.25, -0.25, -0.25] + 0.335410 xhat) = 0.894427 [0.3, -0.4, -0.1, 0.2]
      // dgamma = dy * xhat = [-1.341641, 0, 0, 0]; dbeta = dy
      const [dx, dg, db] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(layerNorm(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12), tf.tensor2d([[1, 0, 0, 0]]))),
      )([x, ones, zeros]);
      close(dx, [0.268328, -0.357771, -0.089443, 0.178885]);
      close(dg, [-1.341641, 0, 0, 0]);
      close(db, [1, 0, 0, 0]);
    });

    test('gelu value and gradient', async () => {
      await initBackend({ prefer: backend });
      // gelu(x) = x Phi(x); Phi(1) = 0.841344746, Phi(2) = 0.977249868, Phi(-1) = 1 - Phi(1)
      const x = tf.tensor1d([0, 1, -1, 2]);
      close(gelu(x), [0, 0.841345, -0.158655, 1.9545]);
      // gelu'(x) = Phi(x) + x phi(x); phi(1) = 0.241970725, phi(2) = 0.053990967
      // gelu'(0) = 0.5; gelu'(1) = 1.083315; gelu'(-1) = 0.158655 - 0.241971 = -0.083315; gelu'(2) = 0.977250 + 0.107982
      close(tf.grad((a: tf.Tensor) => tf.sum(gelu(a)))(x), [0.5, 1.083315, -0.083315, 1.085232]);
    });

    test('dense value and gradient', async () => {
      await initBackend({ prefer: backend });
      // x (2, 3), W (3, 2), b (2): y = x W + b
      const x = tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const w = tf.tensor2d([
        [1, 0],
        [0, 1],
        [1, 1],
      ]);
      const b = tf.tensor1d([10, 20]);
      close(dense(x, w, b), [1 + 3 + 10, 2 + 3 + 20, 4 + 6 + 10, 5 + 6 + 20]);
      // L = sum(y * dy) with dy = [[1, 2], [3, 4]]:
      // dx = dy W^T = [[1, 2, 3], [3, 4, 7]]; dW = x^T dy = [[13, 18], [17, 24], [21, 30]]; db = [4, 6]
      const dy = tf.tensor2d([
        [1, 2],
        [3, 4],
      ]);
      const [dx, dw, db] = tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(dense(a as tf.Tensor2D, k as tf.Tensor2D, c as tf.Tensor1D), dy)),
      )([x, w, b]);
      close(dx, [1, 2, 3, 3, 4, 7]);
      close(dw, [13, 18, 17, 24, 21, 30]);
      close(db, [4, 6]);
      close(sumRows(dy), [4, 6]);
    });

    test('lookup gathers rows and scatters gradients, adding duplicates', async () => {
      await initBackend({ prefer: backend });
      const table = tf.tensor2d([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      const ids = tf.tensor1d([2, 0, 2], 'int32');
      close(lookup(table, ids), [4, 5, 0, 1, 4, 5]);
      // L = sum(out * [[1, 2], [3, 4], [5, 6]]): row 2 gets [1, 2] + [5, 6], row 0 gets [3, 4], row 1 nothing
      const g = tf.grad((t: tf.Tensor) =>
        tf.sum(
          tf.mul(
            lookup(t as tf.Tensor2D, ids),
            tf.tensor2d([
              [1, 2],
              [3, 4],
              [5, 6],
            ]),
          ),
        ),
      )(table);
      close(g, [3, 4, 0, 0, 6, 8]);
    });
  });
}
