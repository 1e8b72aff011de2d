import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adagrad,
  adam,
  adamw,
  constant,
  disposeState,
  lamb,
  linear,
  momentum,
  nesterov,
  optimizerStep,
  rmsprop,
  sgd,
  type Optimizer,
} from '../../src/optim/index.js';
import { disposeParams } from '../../src/core/params.js';
import { expectClose, gradValue, tensors, useCpu, values } from './helpers.js';

beforeAll(useCpu);

/** Runs k optimizer steps with g_t = gradsAt(t); returns the final params as numbers. */
function run<S>(opt: Optimizer<S>, w0: number[], k: number, gradAt: (t: number) => number[]): number[] {
  let params: Record<string, tf.Tensor> = tensors({ w: w0 });
  let state = opt.init(params);
  for (let t = 0; t < k; t++) {
    const grads = tensors({ w: gradAt(t) });
    ({ params, state } = optimizerStep(opt, params, grads, state));
    disposeParams(grads);
  }
  const out = values(params).w;
  disposeParams(params);
  disposeState(state);
  return out;
}

const N = 5;
const w0 = [0.5, -1, 2, 0, 1.5];
const gradAt = (t: number) => Array.from({ length: N }, (_, i) => gradValue(i, t));

describe('sgd and momentum, by hand', () => {
  it('sgd: w = w0 - 3 * 0.1 * g for a constant g', () => {
    // [1, 2] - 0.3 * [0.5, -1] = [0.85, 2.3]
    expectClose(
      run(sgd({ lr: 0.1 }), [1, 2], 3, () => [0.5, -1]),
      [0.85, 2.3],
    );
  });
  it('sgd with a schedule uses lr(t) at step t', () => {
    // lr = linear(0.3, 0, 3): 0.3, 0.2, 0.1 ; g = 1 -> w = 0 - 0.6
    expectClose(
      run(sgd({ lr: linear(0.3, 0, 3) }), [0], 3, () => [1]),
      [-0.6],
    );
  });
  it('momentum 0.9: traces 1, 1.9, 2.71 -> w = -0.1 * 5.61', () => {
    expectClose(
      run(momentum({ lr: 0.1, beta: 0.9 }), [0], 3, () => [1]),
      [-0.561],
    );
  });
  it('nesterov 0.9: steps g + 0.9 tr = 1.9, 2.71, 3.439 -> w = -0.1 * 8.049', () => {
    expectClose(
      run(nesterov({ lr: 0.1, beta: 0.9 }), [0], 3, () => [1]),
      [-0.8049],
    );
  });
});

/** Plain-JS Adam/AdamW/LAMB, written independently of the library (float64). */
function referenceAdam(k: number, o: { lr: number; b1: number; b2: number; eps: number; wd: number; trust?: boolean }): number[] {
  const w = [...w0];
  const m = new Array(N).fill(0);
  const v = new Array(N).fill(0);
  for (let t = 1; t <= k; t++) {
    const g = gradAt(t - 1);
    const s = new Array(N);
    for (let i = 0; i < N; i++) {
      m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
      v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] * g[i];
      const mhat = m[i] / (1 - o.b1 ** t);
      const vhat = v[i] / (1 - o.b2 ** t);
      s[i] = mhat / (Math.sqrt(vhat) + o.eps) + o.wd * w[i];
    }
    let ratio = 1;
    if (o.trust) {
      const wn = Math.hypot(...w),
        sn = Math.hypot(...s);
      ratio = wn > 0 && sn > 0 ? wn / sn : 1;
    }
    for (let i = 0; i < N; i++) w[i] -= o.lr * ratio * s[i];
  }
  return w;
}

describe('adaptive optimizers against plain-JS reference loops', () => {
  it('adam, first step: m^ = g, v^ = g^2 -> w = w0 - lr * g / (|g| + eps) ~ w0 - lr sign(g)', () => {
    // g = [3, -4]: step -0.01 * [3/(3+1e-8), -4/(4+1e-8)]
    expectClose(
      run(adam({ lr: 0.01 }), [1, 1], 1, () => [3, -4]),
      [0.99, 1.01],
    );
  });
  it('adam over 6 steps', () => {
    const ref = referenceAdam(6, { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0 });
    expectClose(run(adam({ lr: 0.01 }), w0, 6, gradAt), ref, 1e-5, 1e-6);
  });
  it('adam with other betas and a schedule', () => {
    const lr = constant(0.05);
    const ref = referenceAdam(5, { lr: 0.05, b1: 0.5, b2: 0.9, eps: 1e-3, wd: 0 });
    expectClose(run(adam({ lr, beta1: 0.5, beta2: 0.9, eps: 1e-3 }), w0, 5, gradAt), ref, 1e-5, 1e-6);
  });
  it('adamw: decoupled decay lr * wd * w on top of the adam step', () => {
    const ref = referenceAdam(6, { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.1 });
    expectClose(run(adamw({ lr: 0.01, weightDecay: 0.1 }), w0, 6, gradAt), ref, 1e-5, 1e-6);
    // the decay is not what plain adam does: the two differ by about lr * wd * w per step
    const plain = referenceAdam(6, { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0 });
    expect(Math.abs(ref[2] - plain[2])).toBeGreaterThan(1e-3);
  });
  it('lamb: adam step + decay, scaled by ||w|| / ||s||', () => {
    const ref = referenceAdam(4, { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-6, wd: 0.01, trust: true });
    expectClose(run(lamb({ lr: 0.01, weightDecay: 0.01 }), w0, 4, gradAt), ref, 1e-5, 1e-6);
  });
  it('adagrad: s = sum g^2, w -= lr g / (sqrt(s) + eps)', () => {
    // constant g = 2: steps 0.1 * 2/2, 0.1 * 2/sqrt(8), 0.1 * 2/sqrt(12) -> 0.1 * (1 + 0.70710678 + 0.57735027)
    expectClose(
      run(adagrad({ lr: 0.1 }), [0], 3, () => [2]),
      [-0.228445705],
    );
  });
  it('rmsprop: v = 0.9 v + 0.1 g^2, w -= lr g / (sqrt(v) + eps)', () => {
    // constant g = 1, decay 0.9: v = 0.1, 0.19 -> steps 0.1/sqrt(0.1) + 0.1/sqrt(0.19) = 0.316227766 + 0.229415734
    expectClose(
      run(rmsprop({ lr: 0.1, decay: 0.9, eps: 0 }), [0], 2, () => [1]),
      [-0.5456435],
    );
    // with momentum 0.5: buffers 3.16227766, 0.5 * 3.16227766 + 2.29415734 = 3.87529617 -> w = -0.1 * 7.03757383
    expectClose(
      run(rmsprop({ lr: 0.1, decay: 0.9, eps: 0, momentum: 0.5 }), [0], 2, () => [1]),
      [-0.703757383],
    );
  });
});

describe('clear errors', () => {
  it('invalid hyperparameters name the value and the range', () => {
    expect(() => adam({ lr: 1e-3, beta1: 1.2 })).toThrow('adam: beta1 = 1.2 is invalid: expected [0, 1)');
    expect(() => adamw({ lr: 1e-3, beta2: -0.1 })).toThrow('adamw: beta2 = -0.1 is invalid: expected [0, 1)');
    expect(() => sgd({ lr: -1 })).toThrow('sgd: lr = -1 is invalid: expected [0, Infinity)');
    expect(() => momentum({ lr: 0.1, beta: 1 })).toThrow('momentum: momentum = 1 is invalid: expected [0, 1)');
    expect(() => adamw({ lr: 0.1, weightDecay: NaN })).toThrow('adamw: weightDecay = NaN is invalid');
    expect(() => rmsprop({ lr: 0.1, decay: 1.5 })).toThrow('rmsprop: decay = 1.5 is invalid: expected [0, 1)');
  });
  it('a schedule that returns a bad value is reported with its step', () => {
    const opt = sgd({ lr: (t) => (t < 1 ? 0.1 : NaN) });
    expect(() => run(opt, [0], 2, () => [1])).toThrow('sgd: lr(1) = NaN is invalid: expected a finite number >= 0');
  });
  it('gradients that do not match the state', () => {
    const opt = adam({ lr: 0.1 });
    const params = tensors({ a: [1, 2], b: [3] });
    const state = opt.init(params);
    const extra = tensors({ a: [1, 2], b: [3], c: [4] });
    const missing = tensors({ a: [1, 2] });
    const reshaped = tensors({
      a: [
        [1, 2],
        [2, 1],
      ],
      b: [3],
    });
    expect(() => opt.update(extra, state)).toThrow('adam: parameter "c" is in the gradients but not in the adam state');
    expect(() => opt.update(missing, state)).toThrow('adam: parameter "b" is in the adam state but not in the gradients');
    expect(() => opt.update(reshaped, state)).toThrow('adam: parameter "a" has shape [2,1] in the gradients but [2] in the adam state');
    expect(() => adamw({ lr: 0.1 }).update(params, adamw({ lr: 0.1 }).init(params))).toThrow(/adamw: update\(\) needs params/);
    [params, extra, missing, reshaped].forEach(disposeParams);
    disposeState(state);
  });
});
