/**
 * The attention mask really masks: a padded key gets score bias -10000, so exp(score - max) underflows
 * to exactly 0 in float32 and the real positions cannot see what token sits in a padded slot.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { encode, initParams } from '../../src/model/bert.js';
import { paddedBatch, smallConfig } from './fixtures.js';

afterAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** Encoder outputs (B T, H) as a flat array. */
function outputs(inputIds: Int32Array): Float32Array {
  const params = initParams(smallConfig, 2);
  const batch = { ...paddedBatch(), inputIds };
  const y = encode(params, smallConfig, batch, { training: false });
  const out = Float32Array.from(y.dataSync());
  tf.dispose([y, ...Object.values(params)]);
  return out;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`attention mask on ${backend}`, () => {
    test('changing a padded token leaves every real position unchanged', async () => {
      await initBackend({ prefer: backend });
      const H = smallConfig.hiddenSize;
      const base = paddedBatch().inputIds; // sequence 1 = [4, 6, 1, pad, pad]
      const a = outputs(base);
      const changedPad = Int32Array.from(base);
      changedPad[8] = 11; // (b=1, t=3) is padding
      const b = outputs(changedPad);
      const changedReal = Int32Array.from(base);
      changedReal[7] = 11; // (b=1, t=2) is real
      const c = outputs(changedReal);
      const realRows = [0, 1, 2, 3, 4, 5, 6, 7];
      for (const r of realRows) expect(b.subarray(r * H, r * H + H), `row ${r}`).toEqual(a.subarray(r * H, r * H + H));
      // The padded row itself changes (it still reads its own embedding), and so does the check's
      // counterpart: changing a real token changes the other real rows of its sequence.
      expect(b.subarray(8 * H, 9 * H)).not.toEqual(a.subarray(8 * H, 9 * H));
      expect(c.subarray(5 * H, 6 * H)).not.toEqual(a.subarray(5 * H, 6 * H));
      // Sequence 0 is independent of sequence 1 either way.
      expect(c.subarray(0, 5 * H)).toEqual(a.subarray(0, 5 * H));
    });
  });
}
