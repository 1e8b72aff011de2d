import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adam,
  baseSchedule,
  chain,
  clipByGlobalNorm,
  disposeState,
  identity,
  optimizerStep,
  partition,
  scale,
  scaleByGroup,
  scaleByTrustRatio,
  scheduledSgd,
  sgd,
  type Optimizer,
} from '../../src/optim/index.js';
import { disposeParams } from '../../src/core/params.js';
import { expectClose, gradsAt, tensors, useCpu, values } from './helpers.js';

beforeAll(useCpu);

/** One update of a fresh optimizer; returns the update values. */
function once<S>(opt: Optimizer<S>, grads: Record<string, tf.Tensor>, params?: Record<string, tf.Tensor>) {
  const s = opt.init(params ?? grads);
  const [u, s1] = opt.update(grads, s, params);
  const out = values(u);
  disposeParams(u);
  disposeState(s);
  disposeState(s1);
  return out;
}

describe('blocks', () => {
  it('clipByGlobalNorm: ||[3, 4], [12]|| = 13 -> scaled by 6.5 / 13 = 0.5; under the limit unchanged', () => {
    const g = tensors({ a: [3, 4], b: [12] });
    const clipped = once(clipByGlobalNorm(6.5), g);
    expectClose(clipped.a, [1.5, 2]);
    expectClose(clipped.b, [6]);
    expect(once(clipByGlobalNorm(20), g)).toEqual({ a: [3, 4], b: [12] });
    disposeParams(g);
  });
  it('scaleByTrustRatio: per tensor ||w|| / ||g||, unchanged when a norm is 0', () => {
    // w.a = [6, 8] (norm 10), g.a = [3, 4] (norm 5) -> 2 * g ; w.b = 0 -> g unchanged
    const w = tensors({ a: [6, 8], b: [0] });
    const g = tensors({ a: [3, 4], b: [7] });
    const u = once(scaleByTrustRatio(), g, w);
    expectClose(u.a, [6, 8]);
    expectClose(u.b, [7]);
    [w, g].forEach(disposeParams);
  });
  it('scaleByGroup: multiplier(group, step) per group, the step advancing', () => {
    const opt = scaleByGroup(
      (group, t) => (group === 'x' ? 2 : 10) * (t + 1),
      (n) => n[0],
    );
    const g = tensors({ x1: [1], x2: [2], y: [3] });
    const s = opt.init(g);
    const [u0, s1] = opt.update(g, s); // step 0: x * 2, y * 10
    expect(values(u0)).toEqual({ x1: [2], x2: [4], y: [30] });
    const [u1, s2] = opt.update(g, s1); // step 1: x * 4, y * 20
    expect(values(u1)).toEqual({ x1: [4], x2: [8], y: [60] });
    expect(s2.count).toBe(2);
    [g, u0, u1].forEach(disposeParams);
  });
});

describe('chain and partition', () => {
  it('chain applies blocks in order: clip to norm 1 then scale by -3', () => {
    const g = tensors({ a: [3, 4] });
    expectClose(once(chain(clipByGlobalNorm(1), scale(-3)), g).a, [-1.8, -2.4]);
    // and the other order: scale first (norm 15), clip to 1 -> [-0.6, -0.8]
    expectClose(once(chain(scale(-3), clipByGlobalNorm(1)), g).a, [-0.6, -0.8]);
    expect(once(chain(), g)).toEqual({ a: [3, 4] });
    disposeParams(g);
  });
  it('partition: each label uses its own optimizer and state', () => {
    const opt = partition((n) => (n.startsWith('emb') ? 'adam' : 'sgd'), { adam: adam({ lr: 0.01 }), sgd: sgd({ lr: 0.5 }) });
    const g = tensors({ 'emb.w': [3, -4], 'dense.w': [2] });
    // adam first step: -0.01 * sign(g); sgd: -0.5 * 2 = -1
    const u = once(opt, g);
    expectClose(u['emb.w'], [-0.01, 0.01], 1e-6);
    expectClose(u['dense.w'], [-1]);
    const s = opt.init(g);
    expect(Object.keys(s.adam[0].mu)).toEqual(['emb.w']);
    disposeState(s);
    expect(() => partition(() => 'other', { adam: adam({ lr: 0.1 }) }).init(g)).toThrow(
      'partition: parameter "emb.w" has label "other", which has no optimizer; give one for each of: adam or change labelOf',
    );
    disposeParams(g);
  });
  it('degenerate partition: one label for everything equals that optimizer', () => {
    const shapes = { x: [2, 2], y: [3] };
    const A = partition(() => 'all', { all: adam({ lr: 0.01 }) });
    const B = adam({ lr: 0.01 });
    let pA: Record<string, tf.Tensor> = gradsAt(shapes, 5),
      pB: Record<string, tf.Tensor> = gradsAt(shapes, 5);
    let sA = A.init(pA),
      sB = B.init(pB);
    for (let t = 0; t < 3; t++) {
      const g = gradsAt(shapes, t);
      ({ params: pA, state: sA } = optimizerStep(A, pA, g, sA));
      ({ params: pB, state: sB } = optimizerStep(B, pB, g, sB));
      disposeParams(g);
    }
    expect(values(pA)).toEqual(values(pB));
    [pA, pB].forEach(disposeParams);
    [sA, sB].forEach((s) => disposeState(s));
  });
  it('identity passes g through as a new tensor', () => {
    const g = tensors({ a: [1, 2] });
    const s = identity().init(g);
    const [u] = identity().update(g, s);
    expect(u.a).not.toBe(g.a);
    disposeParams(u);
    expect(values(g).a).toEqual([1, 2]); // disposing the update left g intact
    disposeParams(g);
  });
});

describe('scheduledSgd', () => {
  const shapes = { 'a.kernel': [3, 2], 'a.bias': [2], 'b.kernel': [2, 2] };
  const lr = baseSchedule({ peakLr: 0.1, warmupSteps: 2, totalSteps: 10, decay: 'cosine' });

  it('with all-ones multipliers equals plain SGD with the same schedule', () => {
    const A = scheduledSgd({ lr, multiplier: () => 1 });
    const B = sgd({ lr });
    let pA: Record<string, tf.Tensor> = gradsAt(shapes, 9),
      pB: Record<string, tf.Tensor> = gradsAt(shapes, 9);
    let sA = A.init(pA),
      sB = B.init(pB);
    for (let t = 0; t < 8; t++) {
      const g = gradsAt(shapes, t);
      ({ params: pA, state: sA } = optimizerStep(A, pA, g, sA));
      ({ params: pB, state: sB } = optimizerStep(B, pB, g, sB));
      disposeParams(g);
    }
    const vA = values(pA),
      vB = values(pB);
    for (const n of Object.keys(shapes)) expectClose(vA[n], vB[n], 1e-6, 1e-8);
    [pA, pB].forEach(disposeParams);
  });

  it('by hand: per-group multipliers, clipping, decay not scaled by c_G', () => {
    // lr 0.5; c_a = 3, c_b = 0.5 ; g = {a: [3, 4], b: [0]} clipped from norm 5 to 1 -> a: [0.6, 0.8]
    // u_a = -0.5 * (3 * [0.6, 0.8] + 0.1 * [1, 1]) = [-0.95, -1.25] ; u_b = -0.5 * (0 + 0.1 * 2) = -0.1
    const opt = scheduledSgd({ lr: 0.5, multiplier: (g) => (g === 'a' ? 3 : 0.5), clipNorm: 1, weightDecay: 0.1 });
    const w = tensors({ a: [1, 1], b: [2] });
    const g = tensors({ a: [3, 4], b: [0] });
    const u = once(opt, g, w);
    expectClose(u.a, [-0.95, -1.25]);
    expectClose(u.b, [-0.1]);
    expect(() => once(scheduledSgd({ lr: 0.5, multiplier: () => -1 }), g)).toThrow(
      'scheduledSgd: multiplier("a", 0) = -1 is invalid: expected a finite number >= 0',
    );
    [w, g].forEach(disposeParams);
  });
});
