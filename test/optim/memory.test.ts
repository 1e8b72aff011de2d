import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adagrad,
  adam,
  adamw,
  baseSchedule,
  chain,
  clipByGlobalNorm,
  disposeState,
  disposeUpdates,
  graft,
  lamb,
  momentum,
  nesterov,
  optimizerStep,
  optimizerStepInPlace,
  partition,
  rmsprop,
  scaleByAdam,
  scheduledSgd,
  sgd,
  stateBytes,
  stateTensors,
  type Optimizer,
} from '../../src/optim/index.js';
import { disposeParams, globalGroup } from '../../src/core/params.js';
import { gradsAt, useCpu } from './helpers.js';

beforeAll(useCpu);

const shapes = { 'a.kernel': [4, 3], 'a.bias': [3], 'b.kernel': [3, 2] };
const lr = baseSchedule({ peakLr: 1e-2, warmupSteps: 5, totalSteps: 100 });
const blockOf = (n: string) => n.split('.')[0];

const optimizers: [string, () => Optimizer<unknown>][] = [
  ['sgd', () => sgd({ lr: 0.1 })],
  ['sgd with schedule', () => sgd({ lr })],
  ['momentum', () => momentum({ lr: 0.1 })],
  ['nesterov', () => nesterov({ lr: 0.1 })],
  ['adam', () => adam({ lr })],
  ['adamw', () => adamw({ lr: 1e-3, weightDecay: 0.01 })],
  ['adagrad', () => adagrad({ lr: 0.1 })],
  ['rmsprop', () => rmsprop({ lr: 1e-3 })],
  ['rmsprop with momentum', () => rmsprop({ lr: 1e-3, momentum: 0.9 })],
  ['lamb', () => lamb({ lr: 1e-3, weightDecay: 0.01 })],
  [
    'scheduledSgd',
    () => scheduledSgd({ lr, multiplier: (g, t) => (g === 'a' ? 2 : 0.5) + t * 1e-3, groupOf: blockOf, clipNorm: 1, weightDecay: 0.01 }),
  ],
  ['graft Adam#SGD', () => graft({ magnitude: adam({ lr: 1e-3 }), direction: sgd({ lr: 1 }) })],
  [
    'graft RMSProp#Momentum global',
    () => graft({ magnitude: rmsprop({ lr: 1e-3 }), direction: momentum({ lr: 0.1 }), groupOf: globalGroup }),
  ],
  ['partition', () => partition(blockOf, { a: adam({ lr: 1e-3 }), b: sgd({ lr: 0.1 }) })],
  ['chain clip + adam moments', () => chain(clipByGlobalNorm(0.5), scaleByAdam())],
];

describe('tf.memory().numTensors stays flat across 100 updates', () => {
  for (const [name, make] of optimizers) {
    it(`${name}: optimizerStep`, () => {
      const opt = make();
      const grads = gradsAt(shapes, 0);
      const before = tf.memory().numTensors; // grads only
      let params: Record<string, tf.Tensor> = gradsAt(shapes, 1);
      let state = opt.init(params);
      const held = Object.keys(shapes).length + stateTensors(state).length; // params + state
      for (let t = 0; t < 100; t++) {
        ({ params, state } = optimizerStep(opt, params, grads, state));
        expect(tf.memory().numTensors).toBe(before + held);
      }
      disposeParams(params);
      disposeState(state);
      disposeParams(grads);
      expect(tf.memory().numTensors).toBe(before - Object.keys(shapes).length);
    });
  }

  it('manual update + disposeUpdates + disposeState is flat too (graft)', () => {
    const opt = graft({ magnitude: adam({ lr: 1e-3 }), direction: sgd({ lr: 1 }), groupOf: blockOf });
    const params = gradsAt(shapes, 1),
      grads = gradsAt(shapes, 0);
    let state = opt.init(params);
    const start = tf.memory().numTensors;
    for (let t = 0; t < 100; t++) {
      const [u, next] = opt.update(grads, state, params);
      disposeUpdates(u);
      disposeState(state);
      state = next;
      expect(tf.memory().numTensors).toBe(start);
    }
    disposeState(state);
    [params, grads].forEach(disposeParams);
  });

  it('optimizerStepInPlace on variables is flat', () => {
    const vars: Record<string, tf.Variable> = {};
    const init = gradsAt(shapes, 1);
    for (const n of Object.keys(init)) vars[n] = tf.variable(init[n]);
    disposeParams(init);
    const grads = gradsAt(shapes, 0);
    const opt = adam({ lr: 1e-3 });
    let state = opt.init(vars);
    const start = tf.memory().numTensors;
    for (let t = 0; t < 100; t++) state = optimizerStepInPlace(opt, vars, grads, state);
    expect(tf.memory().numTensors).toBe(start);
    disposeState(state);
    disposeParams(vars);
    disposeParams(grads);
  });
});

describe('stateBytes', () => {
  it('stateless optimizers hold 0 bytes; moment optimizers hold 4 bytes per float per moment', () => {
    const params = gradsAt(shapes, 0); // 12 + 3 + 6 = 21 floats
    const bytes = (o: Optimizer<unknown>) => {
      const s = o.init(params);
      const b = stateBytes(s);
      disposeState(s);
      return b;
    };
    expect(bytes(sgd({ lr: 0.1 }))).toBe(0);
    expect(bytes(scheduledSgd({ lr, multiplier: () => 1, clipNorm: 1, weightDecay: 0.1 }))).toBe(0);
    expect(bytes(momentum({ lr: 0.1 }))).toBe(21 * 4); // one trace
    expect(bytes(adam({ lr: 0.1 }))).toBe(21 * 4 * 2); // m and v
    expect(bytes(graft({ magnitude: adam({ lr: 0.1 }), direction: sgd({ lr: 1 }) }))).toBe(21 * 4 * 2);
    disposeParams(params);
  });

  it('scheduledSgd after steps still holds no tensors, only step counts', () => {
    const opt = scheduledSgd({ lr: 0.1, multiplier: () => 1 });
    let params: Record<string, tf.Tensor> = gradsAt(shapes, 1);
    const grads = gradsAt(shapes, 0);
    let state = opt.init(params);
    for (let t = 0; t < 3; t++) ({ params, state } = optimizerStep(opt, params, grads, state));
    expect(stateBytes(state)).toBe(0);
    expect(JSON.parse(JSON.stringify(state))).toEqual([{}, { count: 3 }, {}, { count: 3 }]);
    [params, grads].forEach(disposeParams);
  });
});
