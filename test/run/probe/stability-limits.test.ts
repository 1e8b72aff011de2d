import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MlmBatch } from '../../../src/data/batch.js';
import type { Engine } from '../../../src/engine/types.js';
import type { ParamMap } from '../../../src/core/params.js';
import { measureStabilityLimits, peakStepLengths } from '../../../src/run/probe/stability-limits.js';
import { useCpu } from '../train/toy.js';

beforeAll(useCpu);

/** L(w) = sum over tensors n of k_n / 2 * ||w_n||^2 (any batch): gradient k_n w_n, curvature k_n along any direction in n. */
const K: Record<string, number> = { 'a.x': 2, 'a.y': 0.5, b: 3, concave: -1, zero: 4 };

function quadraticEngine(): Engine {
  const loss = (p: ParamMap) => Object.keys(p).reduce((acc, n) => acc + 0.5 * K[n] * tf.sum(tf.square(p[n])).dataSync()[0], 0);
  return {
    name: 'tfjs',
    config: {} as Engine['config'],
    async lossAndGrads(p) {
      const grads: Record<string, tf.Tensor> = {};
      for (const n of Object.keys(p)) grads[n] = tf.mul(p[n], K[n]);
      return { loss: loss(p), accuracy: 0, grads };
    },
    async evaluate(p) {
      return { loss: loss(p), accuracy: 0, tokens: 1 };
    },
    async dispose() {},
  };
}

const sq = (v: number[]) => v.reduce((s, x) => s + x * x, 0);

describe('stability limits', () => {
  it("measures the curvature along each group's gradient direction exactly on a quadratic, and limit = 2 s / h", async () => {
    const x = [1, -2, 0.5],
      y = [3, 1],
      b = [0.5, 0.25, -1, 2];
    const params = { 'a.x': tf.tensor(x), 'a.y': tf.tensor(y), b: tf.tensor(b), concave: tf.tensor([1, 1]), zero: tf.zeros([2]) };
    const groups = ['a', 'b', 'concave', 'zero'];
    const batches = [{} as MlmBatch, {} as MlmBatch];
    const r = await measureStabilityLimits({
      engine: quadraticEngine(),
      params,
      batches,
      firstStep: 10,
      groups,
      groupOf: (n) => n.split('.')[0],
      stepLength: [0.5, 0.3, 0.2, 0.1],
    });
    expect(r.batches).toBe(2);
    expect(Array.from(r.stepLength)).toEqual([0.5, 0.3, 0.2, 0.1]);
    // Group a: g = (2x, 0.5y), s = ||g||; along d = g / s, h = (8 ||x||^2 + 0.125 ||y||^2) / (4 ||x||^2 + 0.25 ||y||^2).
    const sA = Math.sqrt(4 * sq(x) + 0.25 * sq(y)),
      hA = (8 * sq(x) + 0.125 * sq(y)) / (4 * sq(x) + 0.25 * sq(y));
    expect(r.slope[0]).toBeCloseTo(sA, 5);
    expect(r.curvature[0] / hA).toBeCloseTo(1, 3);
    expect(r.limit[0] / ((2 * sA) / hA)).toBeCloseTo(1, 3);
    // Group b: h = 3, s = 3 ||b||, limit = 2 ||b||: the step that lands on the far side of the minimum at the same height.
    expect(r.curvature[1] / 3).toBeCloseTo(1, 3);
    expect(r.limit[1] / (2 * Math.sqrt(sq(b)))).toBeCloseTo(1, 3);
    // Concave: no limit. Zero gradient: no data.
    expect(r.curvature[2]).toBeLessThan(0);
    expect(r.limit[2]).toBe(Infinity);
    expect(r.slope[3]).toBeNaN();
    expect(r.limit[3]).toBeNaN();
    // The weights are borrowed, not changed or disposed.
    expect(Array.from(params.b.dataSync())).toEqual(b);
  });

  it("takes each group's probe length from its last valid sample, at the peak lr", () => {
    // 2 steps x 2 groups (row-major); group 1's last sample is invalid, so its step-0 sample is used.
    const eta = Float64Array.from([0.5, 0.25]);
    const uAdamNorm = Float64Array.from([1, 2, 3, 4]);
    const valid = Uint8Array.from([1, 1, 1, 0]);
    expect(peakStepLengths({ eta, uAdamNorm, valid }, 2, 1e-3)).toEqual([(1e-3 * 3) / 0.25, (1e-3 * 2) / 0.5]);
    expect(peakStepLengths({ eta, uAdamNorm, valid: Uint8Array.from([0, 0, 0, 0]) }, 2, 1e-3).every(Number.isNaN)).toBe(true);
  });
});
