import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGraftProbe } from '../../../src/run/probe/graft-probe.js';
import { describeModel } from '../../../src/schedule/model-info.js';
import { toyBatch, toyConfig, toyEngine, toyParams, useCpu } from '../train/toy.js';

beforeAll(useCpu);

const SEED = 7;
const schedule = { peakLr: 0.01, warmupSteps: 4, totalSteps: 40 };
const adamHyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

function params(): Record<string, tf.Tensor> {
  return { ...toyParams(SEED), unused: tf.zeros([3]) };
}

async function probe(probeSteps: number, recordEvery = 1, stabilityBatches = 0) {
  const p = params();
  const shapes = Object.fromEntries(Object.entries(p).map(([n, t]) => [n, t.shape]));
  return runGraftProbe({
    engine: toyEngine(),
    params: p,
    batchAt: (t) => toyBatch(SEED, t),
    probeSteps,
    schedule,
    adam: adamHyper,
    recordEvery,
    stabilityBatches,
    model: describeModel('toy', { ...toyConfig }, shapes),
    provenance: { grouping: 'per-tensor', batchSize: 2, seqLen: 4, seed: SEED, dataFingerprint: 'toy', backend: 'cpu', engine: 'tfjs' },
  });
}

describe('grafted probe', () => {
  it('first step: ||u_Adam[G]|| = eta(0) sqrt(#nonzero gradient entries), ||u_SGD[G]|| = eta(0) ||g[G]||', async () => {
    // The gradient at the initial weights, from the engine directly.
    const { grads } = await toyEngine().lossAndGrads(params(), toyBatch(SEED, 0), 0);
    const { trace } = await probe(1);
    const eta0 = (0.01 * 1) / 4; // warmup: peak * (t + 1) / warmupSteps at t = 0
    expect(trace.eta[0]).toBeCloseTo(eta0, 15);
    const names = trace.meta.model.groups.map((g) => g.name);
    expect(names).toEqual(['bias', 'emb', 'kernel', 'unused']);
    for (const [gi, name] of names.entries()) {
      if (name === 'unused') continue;
      const g = Array.from(grads[name].dataSync());
      const nnz = g.filter((x) => x !== 0).length;
      const gNorm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
      // Adam's first step: m_hat = g, v_hat = g^2, so u_i = -eta0 g_i / (|g_i| + eps) ~ -eta0 sign(g_i).
      expect(trace.uAdamNorm[gi]).toBeCloseTo(eta0 * Math.sqrt(nnz), 6);
      expect(trace.uAdamNorm[gi] / (eta0 * Math.sqrt(nnz))).toBeCloseTo(1, 4);
      expect(trace.gradNorm[gi] / gNorm).toBeCloseTo(1, 6);
      expect(trace.uSgdNorm[gi] / (eta0 * gNorm)).toBeCloseTo(1, 6);
      // ratio = c = sqrt(nnz) / ||g|| (D's rate is eta(t), so the two coincide).
      expect(trace.ratio[gi] / (Math.sqrt(nnz) / gNorm)).toBeCloseTo(1, 4);
      expect(trace.c[gi] / (Math.sqrt(nnz) / gNorm)).toBeCloseTo(1, 4);
      expect(trace.valid[gi]).toBe(1);
    }
    // Only the rows of tokens that occur in batch 0 get an embedding gradient: nnz(emb) = H * distinct ids.
    const distinct = new Set(toyBatch(SEED, 0).inputIds).size;
    expect(Array.from(grads['emb'].dataSync()).filter((x) => x !== 0).length).toBe(4 * distinct);
    tf.dispose(Object.values(grads));
  });

  it('marks a zero-gradient group invalid at every recorded step and never moves it', async () => {
    const { trace, steps } = await probe(7, 3);
    expect(steps).toBe(7);
    expect(Array.from(trace.steps)).toEqual([0, 3, 6]);
    const G = 4,
      u = 3; // 'unused' is the 4th group
    for (let i = 0; i < 3; i++) {
      expect(trace.valid[i * G + u]).toBe(0);
      expect(trace.ratio[i * G + u]).toBeNaN();
      expect(trace.c[i * G + u]).toBeNaN();
      expect(trace.gradNorm[i * G + u]).toBe(0);
      for (let g = 0; g < 3; g++) expect(trace.valid[i * G + g]).toBe(1);
    }
    expect(trace.meta.probe.steps).toBe(7);
    expect(trace.meta.probe.totalSteps).toBe(40);
    expect(trace.meta.probe.baseSchedule).toMatchObject({ kind: 'base', peakLr: 0.01, warmupSteps: 4 });
    // eta at the recorded steps: warmup (t+1)/4 * 0.01 for t < 4, then linear decay from 0.01 to 0 over 36 steps.
    const etas = [0.0025, 0.01, 0.01 * (1 - 2 / 36)];
    etas.forEach((e, i) => expect(trace.eta[i]).toBeCloseTo(e, 15));
  });

  it("measures every group's stability limit after the last step, at the length of Adam's step at the peak lr", async () => {
    expect((await probe(2)).trace.stability).toBeUndefined(); // not asked for
    const { trace } = await probe(7, 3, 4);
    const s = trace.stability!;
    expect(s.batches).toBe(4);
    const G = 4,
      last = 2;
    for (let g = 0; g < 3; g++) {
      expect(s.stepLength[g]).toBeCloseTo((0.01 * trace.uAdamNorm[last * G + g]) / trace.eta[last], 12);
      expect(s.slope[g]).toBeGreaterThan(0);
      expect(Number.isNaN(s.limit[g])).toBe(false);
      expect(s.limit[g]).toBeGreaterThan(0);
    }
    expect(s.stepLength[3]).toBeNaN(); // 'unused' never had a valid sample
    expect(s.limit[3]).toBeNaN();
  });
});
