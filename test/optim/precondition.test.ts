/**
 * The fixed factored preconditioner as an optimizer block, and the probe's reading of Adam's v.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { chain } from '../../src/optim/combine.js';
import { scaleByAdam } from '../../src/optim/moments.js';
import { scaleByFactoredPreconditioner } from '../../src/optim/precondition.js';
import { stateBytes } from '../../src/optim/state.js';
import { scaleByLearningRate } from '../../src/optim/transforms.js';
import { probeSecondMoments } from '../../src/run/probe/second-moments.js';
import { normalizeByGroup } from '../../src/run/train/optimizers.js';
import { expectClose, tensors, useCpu, values } from './helpers.js';

beforeAll(useCpu);

// Factors of v_hat = [[1, 2, 3], [4, 5, 6]]: R = [2, 5], C = [2.5, 3.5, 4.5], mean(R) = 3.5; eps = 0.5.
const W = { rows: Float32Array.of(2, 5), cols: Float32Array.of(2.5, 3.5, 4.5), eps: 0.5 };
const B = { values: Float32Array.of(3, 0), eps: 1 };
const vTilde = [
  [2, 2.5],
  [2, 3.5],
  [2, 4.5],
  [5, 2.5],
  [5, 3.5],
  [5, 4.5],
].map(([r, c]) => (r * c) / 3.5);
const P_W = vTilde.map((v) => 1 / Math.sqrt(v + 0.25));
const P_B = [1 / Math.sqrt(3 + 1), 1 / Math.sqrt(0 + 1)]; // [0.5, 1]

describe('scaleByFactoredPreconditioner', () => {
  const grads = () =>
    tensors({
      w: [
        [1, -2, 3, 0.5, 1, -1],
        [2, 3],
      ],
      b: [4, -3],
    });

  it('multiplies every coordinate by P (hand-computed) and keeps no state', () => {
    const opt = scaleByFactoredPreconditioner({ w: W, b: B });
    const g = grads();
    const state = opt.init(g);
    const [u, next] = opt.update(g, state);
    const gw = [1, -2, 3, 0.5, 1, -1];
    expectClose(
      values(u).w,
      gw.map((x, i) => x * P_W[i]),
      1e-6,
    );
    expectClose(values(u).b, [4 * 0.5, -3 * 1], 1e-6);
    expect(stateBytes(next)).toBe(0);
    tf.dispose([...Object.values(u), ...Object.values(g)]);
  });

  it('then the step-norm rule: u = -lr m d / ||d||, d = P g (one group per tensor)', () => {
    const opt = chain(
      scaleByFactoredPreconditioner({ w: W, b: B }),
      normalizeByGroup((n) => n),
      scaleByLearningRate(0.1),
    );
    const g = grads();
    const [u, state] = opt.update(g, opt.init(g));
    // b: d = P_B [4, -3] = [2, -3], ||d|| = sqrt(13): u = -0.1 [2, -3] / sqrt(13).
    const dB = [4, -3].map((x, i) => x * P_B[i]);
    expect(dB).toEqual([2, -3]);
    expectClose(values(u).b, [-0.2 / Math.sqrt(13), 0.3 / Math.sqrt(13)], 1e-6);
    const d = [1, -2, 3, 0.5, 1, -1].map((x, i) => x * P_W[i]);
    const norm = Math.hypot(...d);
    expectClose(
      values(u).w,
      d.map((x) => (-0.1 * x) / norm),
      1e-6,
    );
    expect(stateBytes(state)).toBe(0);
    tf.dispose([...Object.values(u), ...Object.values(g)]);
  });

  it('holds no tensors between steps, and refuses a tensor without factors or with another shape', () => {
    const opt = scaleByFactoredPreconditioner({ w: W, b: B });
    const g = grads();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(Object.values(opt.update(g, {})[0]));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => opt.update({ ...g, extra: g.b }, {})).toThrow('no preconditioner factors for "extra"');
    const wrong = tf.zeros([3, 2]);
    expect(() => opt.update({ w: wrong, b: g.b }, {})).toThrow('w has shape [3,2] but its factors are for [2,3]');
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([wrong, ...Object.values(g)]);
  });
});

describe('probeSecondMoments', () => {
  it('after one Adam step v_hat = v / (1 - beta2) = g^2, reduced to row/column means', () => {
    const adamChain = chain(scaleByAdam({ beta2: 0.99 }), scaleByLearningRate(1));
    const g = tensors({
      k: [
        [1, 2, 3, 4],
        [2, 2],
      ],
      v: [3, -1],
    });
    const [u, state] = adamChain.update(g, adamChain.init(g));
    const m = probeSecondMoments(state, 0.99)!;
    expect(m.step).toBe(1);
    // g^2 = [[1, 4], [9, 16]]: rows [2.5, 12.5], cols [5, 10]; vector [9, 1]. (float32 v, so ~1e-6 relative)
    const k = m.params.k as { rows: Float32Array; cols: Float32Array };
    expectClose(Array.from(k.rows), [2.5, 12.5], 1e-5);
    expectClose(Array.from(k.cols), [5, 10], 1e-5);
    expectClose(Array.from((m.params.v as { values: Float32Array }).values), [9, 1], 1e-5);
    expect(probeSecondMoments(adamChain.init(g), 0.99)).toBeUndefined();
    tf.dispose([...Object.values(u), ...Object.values(g)]);
  });
});
