/**
 * The README's library example, through the public entry point.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adam, graft, initBackend, optimizerStep, scheduledSgd, sgd, stateBytes } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('public API', () => {
  it('one Adam#SGD step: D direction, M norm (worked by hand)', () => {
    // g = [3, 4], ||g|| = 5. Adam's first step moves each coordinate by lr * g / (|g| + eps) ~= lr * sign(g),
    // so ||u_Adam|| = 0.01 * sqrt 2. SGD's direction is -g / 5. Grafted: -0.01 * sqrt 2 * [0.6, 0.8].
    const params = { w: tf.tensor1d([1, 1]) };
    const grads = { w: tf.tensor1d([3, 4]) };
    const probe = graft({ magnitude: adam({ lr: 0.01 }), direction: sgd({ lr: 1 }) });
    const state0 = probe.init(params);
    const { params: next, state } = optimizerStep(probe, params, grads, state0);
    const w = next.w.dataSync();
    expect(w[0]).toBeCloseTo(1 - 0.01 * Math.SQRT2 * 0.6, 6);
    expect(w[1]).toBeCloseTo(1 - 0.01 * Math.SQRT2 * 0.8, 6);
    expect(state.norms.w.ratio).toBeCloseTo((0.01 * Math.SQRT2) / 5, 6);
  });

  it('scheduledSgd keeps no tensors: w - lr * c * g with lr 0.1, c 2', () => {
    const opt = scheduledSgd({ lr: () => 0.1, multiplier: () => 2 });
    const params = { w: tf.tensor1d([1, 2]) };
    const state = opt.init(params);
    expect(stateBytes(state)).toBe(0);
    const { params: next } = optimizerStep(opt, params, { w: tf.tensor1d([1, -1]) }, state);
    expect(Array.from(next.w.dataSync())).toEqual([1 - 0.2, 2 + 0.2].map((x) => Math.fround(x)));
  });
});
