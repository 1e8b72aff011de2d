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
import { fromBf16, toBf16 } from '../../src/core/bf16.js';

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
    const lean = initialFactoredMoments(shapes, 'f32');
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
    const lean = initialFactoredMoments(shapes, 'none');
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
    const lean = initialFactoredMoments(shapes, 'none');
    const g = noisyGrads(0);
    const na = adamStepInPlace(pa, g, adam, { rule: 'graft', members, lr, clipFactor: 1, hyper });
    const nf = factoredGraftStepInPlace(pf, g, lean, { members, lr, clipFactor: 1, hyper });
    // vectors keep v whole: at t = 1, m / c1 = g for both, so the vector's step length matches Adam's
    expect(nf.b.magnitude / na.b.magnitude).toBeCloseTo(1, 5);
    expect(Math.abs(nf.w.magnitude / na.w.magnitude - 1)).toBeGreaterThan(1e-3);
  });

  it('keeps O(rows + cols) per matrix without a first moment, and one m per value with it (2 bytes in bfloat16)', () => {
    const big = { e: [1000, 64], bias: [64] };
    expect(factoredStateBytes(initialFactoredMoments(big, 'none'))).toBe(8 * (1000 + 64) + 4 * 64);
    expect(factoredStateBytes(initialFactoredMoments(big, 'f32'))).toBe(8 * (1000 + 64) + 4 * 64 + 4 * (64000 + 64));
    expect(factoredStateBytes(initialFactoredMoments(big, 'bf16'))).toBe(8 * (1000 + 64) + 4 * 64 + 2 * (64000 + 64));
    expect(probeStateBytes(big, 'factored-rms')).toBe(factoredStateBytes(initialFactoredMoments(big, 'none')));
    expect(probeStateBytes(big, 'factored-adam')).toBe(factoredStateBytes(initialFactoredMoments(big, 'f32')));
    expect(probeStateBytes(big, 'factored-adam-bf16')).toBe(factoredStateBytes(initialFactoredMoments(big, 'bf16')));
    expect(probeStateBytes(big, 'adam')).toBe(8 * (64000 + 64));
  });

  it('with m in bfloat16: m is the float32 one rounded after every update, and the step lengths follow within bfloat16 precision', () => {
    const p32 = params(),
      p16 = params();
    const m32 = initialFactoredMoments(shapes, 'f32');
    const m16 = initialFactoredMoments(shapes, 'bf16');
    for (let t = 0; t < 5; t++) {
      const g = noisyGrads(t);
      const n32 = factoredGraftStepInPlace(p32, g, m32, { members, lr, clipFactor: 0.5, hyper });
      const n16 = factoredGraftStepInPlace(p16, g, m16, { members, lr, clipFactor: 0.5, hyper });
      for (const group of ['w', 'b']) {
        expect(n16[group].grad).toBe(n32[group].grad); // the same gradients
        expect(Math.abs(n16[group].magnitude / n32[group].magnitude - 1)).toBeLessThan(2 ** -7); // bf16 keeps 8 significant bits
      }
    }
    const stored = m16.m!.w as Uint16Array;
    expect(stored).toBeInstanceOf(Uint16Array);
    // each update rounds once (relative error <= 2^-9 of what it stores), so over 5 updates the error stays below
    // 2^-7 of the largest entry (single entries may cancel to near zero)
    const largest = Math.max(...Array.from(m32.m!.w, Math.abs));
    m32.m!.w.forEach((x, i) => expect(Math.abs(fromBf16(stored[i]) - x)).toBeLessThanOrEqual(largest * 2 ** -7));
    // after one update from zero, m16 is exactly the rounded float32 m
    const one = initialFactoredMoments(shapes, 'bf16'),
      ref = initialFactoredMoments(shapes, 'f32');
    factoredGraftStepInPlace(params(), noisyGrads(0), one, { members, lr, clipFactor: 1, hyper });
    factoredGraftStepInPlace(params(), noisyGrads(0), ref, { members, lr, clipFactor: 1, hyper });
    expect(Array.from(one.m!.b)).toEqual(Array.from(ref.m!.b, (x) => toBf16(x)));
  });

  it('leaves a tensor without gradient where it is', () => {
    const p = params();
    const lean = initialFactoredMoments(shapes, 'none');
    const zero = { w: new Float32Array(12), b: new Float32Array(4) };
    const n = factoredGraftStepInPlace(p, zero, lean, { members, lr, clipFactor: 1, hyper });
    expect(n.w).toEqual({ magnitude: 0, grad: 0 });
    expect(Array.from(p.w.data)).toEqual(Array.from(params().w.data));
  });
});
