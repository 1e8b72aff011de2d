import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adagrad,
  adam,
  disposeState,
  disposeUpdates,
  graft,
  momentum,
  optimizerStep,
  rmsprop,
  sgd,
  stateTensors,
  type Optimizer,
} from '../../src/optim/index.js';
import { disposeParams, globalGroup, type GroupOf } from '../../src/core/params.js';
import { expectClose, gradsAt, tensors, useCpu, values } from './helpers.js';

beforeAll(useCpu);

const shapes = { 'l0.kernel': [3, 2], 'l0.bias': [2], 'l1.kernel': [2, 2], 'l1.bias': [2] };
const params0 = () => gradsAt(shapes, 100); // any fixed weights
const perBlock: GroupOf = (name) => name.split('.')[0];
const perType: GroupOf = (name) => name.split('.')[1];

/** Float64 Frobenius norm and values of one group of an update map. */
function groupOfMap(m: Record<string, number[]>, groupOf: GroupOf, group: string): number[] {
  return Object.keys(m)
    .sort()
    .filter((n) => groupOf(n) === group)
    .flatMap((n) => m[n]);
}
const norm = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));

it('hand-derived Adam#SGD first step on one tensor', () => {
  // g = [3, 4]; adam(lr 0.01) step 1: u_M = -0.01 * g / (|g| + 1e-8) ~ [-0.01, -0.01], nM = 0.01 sqrt 2
  // sgd(lr 1): u_D = -[3, 4], nD = 5 ; r = 0.01 sqrt 2 / 5 = 0.00282842712 ; u = r * u_D
  const opt = graft({ magnitude: adam({ lr: 0.01 }), direction: sgd({ lr: 1 }) });
  const params = tensors({ w: [0, 0] });
  const grads = tensors({ w: [3, 4] });
  const s0 = opt.init(params);
  const [u, s1] = opt.update(grads, s0, params);
  const r = (0.01 * Math.SQRT2) / 5;
  expectClose(values(u).w, [-3 * r, -4 * r], 1e-6);
  expect(s1.count).toBe(1);
  expect(s1.norms.w.valid).toBe(true);
  expect(s1.norms.w.grad).toBeCloseTo(5, 6);
  expect(s1.norms.w.direction).toBeCloseTo(5, 6);
  expect(s1.norms.w.magnitude).toBeCloseTo(0.01 * Math.SQRT2, 9);
  expect(s1.norms.w.ratio!).toBeCloseTo(r, 9);
  [params, grads, u].forEach(disposeParams);
  disposeState(s0);
  disposeState(s1);
});

/**
 * Runs grafted steps and, alongside, M and D alone on the same gradients; checks per group that the
 * grafted update has M's norm and D's unit direction, and that the inner states match.
 */
function checkGraftProperty<SM, SD>(M: () => Optimizer<SM>, D: () => Optimizer<SD>, groupOf: GroupOf, steps = 4): void {
  const G = graft({ magnitude: M(), direction: D(), groupOf });
  const mAlone = M(),
    dAlone = D();
  let params = params0();
  let gs = G.init(params),
    ms = mAlone.init(params),
    ds = dAlone.init(params);
  for (let t = 0; t < steps; t++) {
    const grads = gradsAt(shapes, t);
    const [u, gs1] = G.update(grads, gs, params);
    const [uM, ms1] = mAlone.update(grads, ms, params);
    const [uD, ds1] = dAlone.update(grads, ds, params);
    const vu = values(u),
      vM = values(uM),
      vD = values(uD);
    for (const group of new Set(Object.keys(shapes).map(groupOf))) {
      const ug = groupOfMap(vu, groupOf, group),
        mg = groupOfMap(vM, groupOf, group),
        dg = groupOfMap(vD, groupOf, group);
      const nM = norm(mg),
        nD = norm(dg);
      expect(Math.abs(norm(ug) - nM)).toBeLessThanOrEqual(1e-6 * nM); // M's norm
      expectClose(
        ug.map((x) => x / norm(ug)),
        dg.map((x) => x / nD),
        1e-5,
        1e-7,
      ); // D's unit direction
      expect(gs1.norms[group].ratio!).toBeCloseTo(nM / nD, 6);
    }
    // inner states equal the states of M and D run alone on the same gradients
    const inner = [...stateTensors(gs1.magnitude), ...stateTensors(gs1.direction)];
    const alone = [...stateTensors(ms1), ...stateTensors(ds1)];
    expect(inner.length).toBe(alone.length);
    inner.forEach((x, i) => expectClose(Array.from(x.dataSync()), Array.from(alone[i].dataSync()), 0, 0));
    expect(JSON.stringify(gs1.magnitude, (_k, v) => (v instanceof tf.Tensor ? 'T' : v))).toBe(
      JSON.stringify(ms1, (_k, v) => (v instanceof tf.Tensor ? 'T' : v)),
    );
    const next = tf.tidy(() => {
      const o: Record<string, tf.Tensor> = {};
      for (const n of Object.keys(u)) o[n] = tf.add(params[n], u[n]);
      return o;
    });
    [grads, u, uM, uD, params].forEach(disposeParams);
    [gs, ms, ds].forEach((s) => disposeState(s));
    params = next;
    gs = gs1;
    ms = ms1;
    ds = ds1;
  }
  disposeParams(params);
  [gs, ms, ds].forEach((s) => disposeState(s));
}

describe('grafting properties', () => {
  const pairs: [string, () => Optimizer<unknown>, () => Optimizer<unknown>][] = [
    ['Adam#SGD', () => adam({ lr: 1e-3 }), () => sgd({ lr: 0.1 })],
    ['AdaGrad#SGD', () => adagrad({ lr: 0.05 }), () => sgd({ lr: 1 })],
    ['SGD#Adam', () => sgd({ lr: 0.3 }), () => adam({ lr: 1e-2 })],
    ['RMSProp#Momentum', () => rmsprop({ lr: 1e-3 }), () => momentum({ lr: 0.1 })],
  ];
  for (const [name, M, D] of pairs) {
    for (const [gname, groupOf] of [
      ['per tensor', (n: string) => n],
      ['per block', perBlock],
      ['per type', perType],
      ['global', globalGroup],
    ] as const) {
      it(`${name}, ${gname}: M's norm, D's direction, inner states as if alone`, () => checkGraftProperty(M, D, groupOf));
    }
  }

  it('graft(D, D) equals D', () => {
    const D = () => adam({ lr: 1e-2 });
    const G = graft({ magnitude: D(), direction: D() });
    let pG = params0(),
      pD = params0();
    let sG = G.init(pG),
      sD = D().init(pD);
    const d = D();
    for (let t = 0; t < 5; t++) {
      const grads = gradsAt(shapes, t);
      ({ params: pG, state: sG } = optimizerStep(G, pG, grads, sG));
      ({ params: pD, state: sD } = optimizerStep(d, pD, grads, sD));
      disposeParams(grads);
      for (const g of Object.values(sG.norms)) expect(g.ratio).toBeCloseTo(1, 12);
    }
    const vG = values(pG),
      vD = values(pD);
    for (const n of Object.keys(shapes)) expectClose(vG[n], vD[n], 1e-7, 1e-9);
    [pG, pD].forEach(disposeParams);
    [sG, sD].forEach((s) => disposeState(s));
  });

  it('global grafting equals per-group grafting when there is one group', () => {
    // all tensors in one block 'enc' (per-block grouping) vs globalGroup; one tensor: per tensor vs global
    const cases: [Record<string, number[]>, GroupOf][] = [
      [shapes, () => 'enc'],
      [{ only: [3, 3] }, (n) => n],
    ];
    for (const [sh, oneGroup] of cases) {
      const make = (groupOf: GroupOf) => graft({ magnitude: adam({ lr: 1e-3 }), direction: sgd({ lr: 0.1 }), groupOf });
      const A = make(oneGroup),
        B = make(globalGroup);
      const params = gradsAt(sh, 50);
      let sA = A.init(params),
        sB = B.init(params);
      for (let t = 0; t < 3; t++) {
        const grads = gradsAt(sh, t);
        const [uA, sA1] = A.update(grads, sA, params);
        const [uB, sB1] = B.update(grads, sB, params);
        const vA = values(uA),
          vB = values(uB);
        for (const n of Object.keys(sh)) expect(vA[n]).toEqual(vB[n]);
        expect(Object.values(sA1.norms)).toEqual(Object.values(sB1.norms));
        [grads, uA, uB].forEach(disposeParams);
        [sA, sB].forEach((s) => disposeState(s));
        sA = sA1;
        sB = sB1;
      }
      disposeParams(params);
      [sA, sB].forEach((s) => disposeState(s));
    }
  });

  it('zero-gradient groups take a zero step and are marked invalid (ratio null, never 0 or Infinity)', () => {
    const G = graft({ magnitude: adam({ lr: 1e-3 }), direction: sgd({ lr: 0.1 }) });
    const params = tensors({ a: [1, 2], dead: [3, 4, 5] });
    const grads = tensors({ a: [0.5, -0.5], dead: [0, 0, 0] });
    const s0 = G.init(params);
    const [u, s1] = G.update(grads, s0, params);
    expect(values(u).dead).toEqual([0, 0, 0]);
    expect(s1.norms.dead).toEqual({ magnitude: 0, direction: 0, grad: 0, ratio: null, valid: false });
    // a: adam step ~ 1e-3 per entry, nM = 1e-3 sqrt 2; sgd nD = 0.1 * sqrt(0.5) -> ratio 1e-3 sqrt2 / (0.1 sqrt .5) = 0.02
    expect(s1.norms.a.valid).toBe(true);
    expect(s1.norms.a.ratio!).toBeCloseTo(0.02, 6);
    expectClose(values(u).a, [-1e-3, 1e-3], 1e-5);
    [params, grads, u].forEach(disposeParams);
    [s0, s1].forEach((s) => disposeState(s));
  });

  it('the probe reads the last step norms from state without recomputing', () => {
    const G = graft({ magnitude: sgd({ lr: 2 }), direction: sgd({ lr: 1 }), groupOf: perBlock });
    const params = params0();
    const s0 = G.init(params);
    expect(s0.norms).toEqual({});
    const grads = gradsAt(shapes, 0);
    const [u, s1] = G.update(grads, s0, params);
    // u_M = -2 g, u_D = -g: ratio exactly 2 in every group; grad norm = nD
    for (const group of ['l0', 'l1']) {
      expect(s1.norms[group].ratio!).toBeCloseTo(2, 12);
      expect(s1.norms[group].grad).toBeCloseTo(s1.norms[group].direction, 12);
    }
    disposeUpdates(u);
    [params, grads].forEach(disposeParams);
    [s0, s1].forEach((s) => disposeState(s));
  });
});
