import { describe, expect, it } from 'vitest';
import type { MlmBatch } from '../../../src/data/batch.js';
import { presetConfig } from '../../../src/model/config.js';
import { exportOnnx } from '../../../src/model/onnx/export.js';
import { evaluateOrt } from '../../../src/run/eval/evaluate-ort.js';
import { loadOrtMlm } from '../../../src/run/eval/model.js';
import { biasOnlyParams, config, VOCAB } from './fixtures.js';
import { randomHostParams, referenceLogits } from '../../model/onnx/reference.js';

const id = (token: string): number => VOCAB.indexOf(token);

function batch(B: number, T: number, ids: number[], mask: number[], positions: number[], labels: number[]): MlmBatch {
  return {
    batchSize: B,
    seqLen: T,
    inputIds: Int32Array.from(ids),
    attentionMask: Int32Array.from(mask),
    tokenTypeIds: new Int32Array(B * T),
    maskedPositions: Int32Array.from(positions),
    maskedLabels: Int32Array.from(labels),
  };
}

describe('evaluateOrt', () => {
  it('gives the hand-computed token-weighted loss and accuracy for a bias-only model', async () => {
    const model = await loadOrtMlm(exportOnnx(config, biasOnlyParams({ cat: 2, mat: 1 })), 'bias.onnx', { threads: 1 });
    // two batches, 3 + 1 selected positions; every row's logits = bias (cat 2, mat 1, others 0)
    const b1 = batch(2, 4, [2, 4, 7, 3, 2, 4, 4, 3], [1, 1, 1, 1, 1, 1, 1, 1], [1, 5, 6], [id('cat'), id('mat'), id('the')]);
    const b2 = batch(1, 4, [2, 4, 3, 0], [1, 1, 1, 0], [1], [id('cat')]);
    const empty = batch(1, 4, [2, 5, 3, 0], [1, 1, 1, 0], [], []);
    // log Z = log(e^2 + e + 10) = 3.001080773; losses: logZ - 2, logZ - 1, logZ - 0, logZ - 2
    // mean = logZ - 5/4 = 1.751080773; argmax is always "cat": 2 of 4 correct
    const result = await evaluateOrt(model, [b1, empty, b2]);
    expect(result.tokens).toBe(4);
    expect(result.loss).toBeCloseTo(1.751080773, 5);
    expect(result.accuracy).toBe(0.5);
    await model.release();
  });

  it('splits the loss by what the input showed at each scored position: [MASK], a random token, or the label kept', async () => {
    const model = await loadOrtMlm(exportOnnx(config, biasOnlyParams({ cat: 2, mat: 1 })), 'bias.onnx', { threads: 1 });
    // positions 1 ([MASK], label cat), 2 (kept: input = label = mat), 5 (random: input the, label cat), 6 ([MASK], label the)
    const b = batch(
      2,
      4,
      [2, 4, id('mat'), 3, 2, id('the'), 4, 3],
      [1, 1, 1, 1, 1, 1, 1, 1],
      [1, 2, 5, 6],
      [id('cat'), id('mat'), id('cat'), id('the')],
    );
    const logZ = Math.log(Math.exp(2) + Math.exp(1) + 10); // as above: losses cat logZ-2, mat logZ-1, the logZ
    const result = await evaluateOrt(model, [b]);
    expect(result.byInput.mask.tokens).toBe(2);
    expect(result.byInput.mask.loss).toBeCloseTo(logZ - 1, 5); // (logZ - 2 + logZ - 0) / 2
    expect(result.byInput.mask.accuracy).toBe(0.5);
    expect(result.byInput.kept).toEqual({ loss: expect.closeTo(logZ - 1, 5), accuracy: 0, tokens: 1 });
    expect(result.byInput.random).toEqual({ loss: expect.closeTo(logZ - 2, 5), accuracy: 1, tokens: 1 });
    expect(result.loss).toBeCloseTo(logZ - 5 / 4, 5); // the overall mean is unchanged by the split
    await model.release();
  });

  it('equals the cross-entropy of the float64 reference logits for random weights on a padded batch', async () => {
    const c = presetConfig('tiny', { vocabSize: 30, maxPositions: 8 });
    const params = randomHostParams(c, 7, 0.2);
    const model = await loadOrtMlm(exportOnnx(c, params), 'tiny.onnx', { threads: 1 });
    const b = batch(2, 6, [2, 9, 4, 11, 4, 3, 2, 4, 17, 3, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [2, 4, 7], [5, 21, 13]);
    const ref = referenceLogits(c, params, b);
    let want = 0;
    for (let j = 0; j < 3; j++) {
      const row = ref[b.maskedPositions[j]];
      const m = Math.max(...row);
      want += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[b.maskedLabels[j]];
    }
    const result = await evaluateOrt(model, [b]);
    expect(Math.abs(result.loss - want / 3)).toBeLessThan(1e-5);
    await model.release();
  });

  it('rejects ids outside the model vocabulary with a one-line error', async () => {
    const model = await loadOrtMlm(exportOnnx(config, biasOnlyParams({})), 'bias.onnx', { threads: 1 });
    const b = batch(1, 3, [2, 40, 3], [1, 1, 1], [1], [5]);
    await expect(evaluateOrt(model, [b])).rejects.toThrow(/inputIds\[1\] = 40 is outside \[0, 12\)/);
    await model.release();
  });
});
