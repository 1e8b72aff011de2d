/**
 * The tfjs model against an independent float64 reference (test/model/reference.ts):
 * 1. the forward loss agrees to float32 precision;
 * 2. the gradient of EVERY parameter tensor agrees with central finite differences of the float64
 *    reference, (L(w + h) - L(w - h)) / 2h with h = 1e-5 (truncation ~h^2 L''' ~ 1e-10, rounding
 *    ~1e-16 / h ~ 1e-11: the differences are exact to ~1e-9, so what remains is tfjs's float32 error).
 *    Checked: per tensor, the 3 entries with the largest |gradient| plus 2 fixed-random entries (these
 *    include rows no token touches, whose gradient must be exactly 0).
 * Runs on the cpu backend (pure JS, no wasm); wasm parity is in parity.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { initParams, lossAndGrads, mlmLoss } from '../../src/model/bert.js';
import type { BertConfig } from '../../src/model/config.js';
import { rng } from '../../src/core/random.js';
import { paddedBatch, smallConfig, toRef } from './fixtures.js';
import { refLoss, type RefParams } from './reference.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

function checkAllGradients(config: BertConfig, drop?: { seed: number; step: number }) {
  const batch = paddedBatch();
  const params = initParams(config, 7);
  const ref = toRef(params);
  const opts = drop ? { training: true, ...drop } : { training: false };
  const dropCtx = drop ? { p: config.dropout, ...drop } : undefined;
  const { loss, grads } = lossAndGrads(params, config, batch, opts);
  expect(loss).toBeCloseTo(refLoss(ref, config, batch, dropCtx).loss, 5);
  const h = 1e-5;
  const pick = rng(3, 'gradcheck');
  let checked = 0;
  for (const [name, g] of Object.entries(grads)) {
    const an = g.dataSync();
    const order = Array.from(an.keys()).sort((a, b) => Math.abs(an[b]) - Math.abs(an[a]));
    const entries = [...order.slice(0, 3), pick.int(an.length), pick.int(an.length)];
    const scale = Math.abs(an[order[0]]); // the tensor's largest |gradient|
    for (const j of entries) {
      const w: RefParams = { ...ref, [name]: { ...ref[name], data: Float64Array.from(ref[name].data) } };
      w[name].data[j] = ref[name].data[j] + h;
      const up = refLoss(w, config, batch, dropCtx).loss;
      w[name].data[j] = ref[name].data[j] - h;
      const down = refLoss(w, config, batch, dropCtx).loss;
      const fd = (up - down) / (2 * h);
      // float32 forward + backward: the error measured over all entries is <= 1.2e-6 of the tensor's
      // largest gradient; 2e-5 leaves margin and still catches a 1% error in any term (tried).
      // The 1e-7 floor covers key biases, whose true gradient is 0 (see the test below).
      expect(Math.abs(an[j] - fd), `${name}[${j}]: tfjs ${an[j]} vs finite difference ${fd}`).toBeLessThanOrEqual(2e-5 * scale + 1e-7);
      checked++;
    }
  }
  expect(checked).toBe(5 * Object.keys(grads).length);
  tf.dispose([...Object.values(params), ...Object.values(grads)]);
}

describe('tfjs model vs float64 reference (cpu)', () => {
  test('forward loss and accuracy match the reference', () => {
    const batch = paddedBatch();
    const params = initParams(smallConfig, 1);
    const { loss, accuracy } = mlmLoss(params, smallConfig, batch, { training: false });
    const ref = refLoss(toRef(params), smallConfig, batch);
    expect(loss.dataSync()[0]).toBeCloseTo(ref.loss, 5);
    expect(accuracy.dataSync()[0]).toBeCloseTo(ref.accuracy, 6);
    tf.dispose([loss, accuracy, ...Object.values(params)]);
  });

  test('gradients of every parameter match central differences', () => {
    checkAllGradients(smallConfig);
  });

  test('key biases get zero gradient', () => {
    // s = q (k + bk)^T adds q . bk to every key of a query row, and softmax ignores a per-row shift,
    // so dL/dbk = 0 exactly; float32 leaves noise far below the key kernel's gradient.
    const params = initParams(smallConfig, 7);
    const { grads } = lossAndGrads(params, smallConfig, paddedBatch(), { training: false });
    for (let l = 0; l < smallConfig.numLayers; l++) {
      const kernelScale = tf.max(tf.abs(grads[`encoder.layer.${l}.attention.self.key.kernel`])).dataSync()[0];
      const biasMax = tf.max(tf.abs(grads[`encoder.layer.${l}.attention.self.key.bias`])).dataSync()[0];
      expect(kernelScale).toBeGreaterThan(1e-3);
      expect(biasMax).toBeLessThan(1e-5 * kernelScale);
    }
    tf.dispose([...Object.values(params), ...Object.values(grads)]);
  });

  test('gradients match with dropout 0.2 (same keep masks in both)', () => {
    checkAllGradients({ ...smallConfig, dropout: 0.2 }, { seed: 11, step: 4 });
  });
});
