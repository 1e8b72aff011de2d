/**
 * Step-norm schedules: compression of m_G = ||u_Adam[G]|| / eta, and the stateless optimizer that applies
 * them to the group-normalised gradient, w[G] <- w[G] - eta * s * m_G * g[G] / ||g[G]||.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DescribedSchedule } from '../../src/optim/schedules.js';
import { buildArtifact, type Artifact } from '../../src/schedule/artifact.js';
import { compressTrace } from '../../src/schedule/compress.js';
import { normalizeByGroup, trainOptimizer, trainScheduleRule } from '../../src/run/train/optimizers.js';
import type { TrainOptions } from '../../src/run/train/train-options.js';
import { GROUPS, SHAPES, syntheticTrace } from './synthetic.js';

const [CLS, EMB, BIAS, KERNEL] = GROUPS;
const C: Record<string, number> = { [CLS]: 1, [EMB]: 4, [BIAS]: 0.5, [KERNEL]: 3 };
const constantOf = (s: object) => ('constant' in s ? (s as { constant: number }).constant : NaN);

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('normalizeByGroup', () => {
  it('divides every tensor by the norm of its whole group; a zero group stays zero', () => {
    // group x = {a, c}: sqrt(3^2 + 4^2 + 12^2) = 13; group y = {b} has norm 0.
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([0, 0]), c: tf.tensor1d([12]) };
    const opt = normalizeByGroup((n) => (n === 'b' ? 'y' : 'x'));
    const [u] = opt.update(grads, opt.init(grads));
    expect(Array.from(u.a.dataSync())).toEqual([expect.closeTo(3 / 13, 6), expect.closeTo(4 / 13, 6)]);
    expect(Array.from(u.c.dataSync())).toEqual([expect.closeTo(12 / 13, 6)]);
    expect(Array.from(u.b.dataSync())).toEqual([0, 0]);
  });
});

describe('step-norm target', () => {
  // syntheticTrace: uAdamNorm = c * eta * 2, so m = uAdamNorm / eta = 2 c.
  const trace = syntheticTrace((g) => C[g]);

  it('compresses m = ||u_Adam|| / eta instead of c', () => {
    const r = compressTrace(trace, { target: 'stepNorm' });
    for (const g of GROUPS) expect(constantOf(r.groups[g])).toBeCloseTo(2 * C[g], 9);
  });

  it('static training takes steps of length eta * scale * m_G in the gradient direction', () => {
    const body = buildArtifact({ trace, compressed: compressTrace(trace, { target: 'stepNorm' }), traceMaxPoints: 0 });
    const artifact = { ...body, checksum: '' } as Artifact;
    const o = { optimizer: 'static', steps: 10, scheduleScale: 0.5, weightDecay: 0 } as TrainOptions;
    const eta = (() => 0.1) as unknown as DescribedSchedule;
    const opt = trainOptimizer(o, eta, trainScheduleRule(o, artifact));
    // Gradients: all 3 in every tensor. Expected step of group G: -0.1 * 0.5 * 2 C[G] * g / ||g||,
    // i.e. every entry -0.1 * C[G] / sqrt(size) and the whole step has norm 0.1 * C[G].
    const grads = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, tf.fill(s, 3)]));
    const params = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, tf.zeros(s)]));
    const [u] = opt.update(grads, opt.init(params), params);
    for (const [n, shape] of Object.entries(SHAPES)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const v = u[n].dataSync();
      expect(v[0]).toBeCloseTo((-0.1 * C[n]) / Math.sqrt(size), 6);
      expect(Math.hypot(...v)).toBeCloseTo(0.1 * C[n], 5);
    }
  });
});
