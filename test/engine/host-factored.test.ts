import { describe, expect, it } from 'vitest';
import { adamStepInPlace } from '../../src/engine/ort/host-adam.js';
import {
  factoredGraftStepInPlace,
  factoredStateBytes,
  initialFactoredMoments,
  probeStateBytes,
} from '../../src/engine/ort/host-factored.js';
import { initialMoments } from '../../src/engine/ort/step-trainer.js';
import { factoredSecondMoments, hostSecondMoments } from '../../src/run/probe/second-moments.js';
import type { HostParams } from '../../src/core/params.js';

const hyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const shapes = { w: [3, 4], b: [4] };
const members = new Map([
  ['w', ['w']],
  ['b', ['b']],
]);
const lr = { w: 0.01, b: 0.02 };

function params(): HostParams {
  return {
    w: { shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => 0.1 * i - 0.5) },
    b: { shape: [4], data: Float32Array.from([0.3, -0.2, 0.1, 0]) },
  };
}

/** Gradients g_ij = s_t x_i y_j: every square is a multiple of one rank-one matrix, and so is v. */
function rankOneGrads(step: number): Record<string, Float32Array> {
  const x = [1, -2, 0.5],
    y = [0.3, -1, 2, 0.1],
    s = [1, -3, 0.5][step];
  return {
    w: Float32Array.from({ length: 12 }, (_, k) => s * x[Math.floor(k / 4)] * y[k % 4]),
    b: Float32Array.from(y, (v) => v * (step - 1.5)),
  };
}

/** Gradients without structure. */
function noisyGrads(step: number): Record<string, Float32Array> {
  const wave = (k: number) => Math.sin(1.7 * k + 0.9 * step) * (1 + (k % 3));
  return { w: Float32Array.from({ length: 12 }, (_, k) => wave(k)), b: Float32Array.from({ length: 4 }, (_, k) => wave(k + 20)) };
}

describe('factored second moments (the lean probe magnitude)', () => {
  it("takes Adam's steps when v is rank one (v~ = v exactly)", () => {
    const pa = params(),
      pf = params();
    const adam = initialMoments(shapes, ['b', 'w']);
    const lean = initialFactoredMoments(shapes, true);
    for (let t = 0; t < 3; t++) {
      const g = rankOneGrads(t);
      const na = adamStepInPlace(pa, g, adam, { rule: 'graft', members, lr, clipFactor: 0.5, hyper });
      const nf = factoredGraftStepInPlace(pf, g, lean, { members, lr, clipFactor: 0.5, hyper });
      for (const group of ['w', 'b']) {
        expect(nf[group].grad).toBeCloseTo(na[group].grad, 10);
        expect(nf[group].magnitude / na[group].magnitude).toBeCloseTo(1, 5);
      }
    }
    for (const name of ['w', 'b']) {
      for (let i = 0; i < pa[name].data.length; i++) expect(pf[name].data[i]).toBeCloseTo(pa[name].data[i], 5);
    }
  });

  it('reports the same row and column factors as full Adam on any gradients', () => {
    const adam = initialMoments(shapes, ['b', 'w']);
    const lean = initialFactoredMoments(shapes, false);
    for (let t = 0; t < 5; t++) {
      const g = noisyGrads(t);
      adamStepInPlace(params(), g, adam, { rule: 'graft', members, lr, clipFactor: 1, hyper });
      factoredGraftStepInPlace(params(), g, lean, { members, lr, clipFactor: 1, hyper });
    }
    const full = hostSecondMoments(adam.v, adam.count, hyper.beta2)!;
    const factored = factoredSecondMoments(lean, hyper.beta2)!;
    expect(factored.step).toBe(5);
    const fw = factored.params.w as { rows: Float32Array; cols: Float32Array };
    const aw = full.params.w as { rows: Float32Array; cols: Float32Array };
    for (let i = 0; i < 3; i++) expect(fw.rows[i] / aw.rows[i]).toBeCloseTo(1, 5);
    for (let j = 0; j < 4; j++) expect(fw.cols[j] / aw.cols[j]).toBeCloseTo(1, 5);
    const fb = (factored.params.b as { values: Float32Array }).values,
      ab = (full.params.b as { values: Float32Array }).values;
    for (let j = 0; j < 4; j++) expect(fb[j] / ab[j]).toBeCloseTo(1, 5);
  });

  it('differs from Adam when the gradient squares are not rank one, and without m uses the raw gradient', () => {
    const pa = params(),
      pf = params();
    const adam = initialMoments(shapes, ['b', 'w']);
    const lean = initialFactoredMoments(shapes, false);
    const g = noisyGrads(0);
    const na = adamStepInPlace(pa, g, adam, { rule: 'graft', members, lr, clipFactor: 1, hyper });
    const nf = factoredGraftStepInPlace(pf, g, lean, { members, lr, clipFactor: 1, hyper });
    // vectors keep v whole: at t = 1, m / c1 = g for both, so the vector's step length matches Adam's
    expect(nf.b.magnitude / na.b.magnitude).toBeCloseTo(1, 5);
    expect(Math.abs(nf.w.magnitude / na.w.magnitude - 1)).toBeGreaterThan(1e-3);
  });

  it('keeps O(rows + cols) per matrix without a first moment, and one m per value with it', () => {
    const big = { e: [1000, 64], bias: [64] };
    expect(factoredStateBytes(initialFactoredMoments(big, false))).toBe(8 * (1000 + 64) + 4 * 64);
    expect(factoredStateBytes(initialFactoredMoments(big, true))).toBe(8 * (1000 + 64) + 4 * 64 + 4 * (64000 + 64));
    expect(probeStateBytes(big, 'factored-rms')).toBe(factoredStateBytes(initialFactoredMoments(big, false)));
    expect(probeStateBytes(big, 'factored-adam')).toBe(factoredStateBytes(initialFactoredMoments(big, true)));
    expect(probeStateBytes(big, 'adam')).toBe(8 * (64000 + 64));
  });

  it('leaves a tensor without gradient where it is', () => {
    const p = params();
    const lean = initialFactoredMoments(shapes, false);
    const zero = { w: new Float32Array(12), b: new Float32Array(4) };
    const n = factoredGraftStepInPlace(p, zero, lean, { members, lr, clipFactor: 1, hyper });
    expect(n.w).toEqual({ magnitude: 0, grad: 0 });
    expect(Array.from(p.w.data)).toEqual(Array.from(params().w.data));
  });
});
