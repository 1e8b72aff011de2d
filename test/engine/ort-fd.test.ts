/**
 * The ort gradient graph against an independent float64 reference: the plain-JS forward pass in
 * test/model/onnx/reference.ts (no code shared with the graph) and central differences.
 *
 * For each parameter tensor w and a direction v, let w+ = f32(w + h v), w- = f32(w - h v) (the realised
 * float32 perturbations) and D = w+ - w-. To first order L(w+) - L(w-) = <g, D> + O(h^3), so the
 * difference of the two float64 reference losses must match <g_ort, D> up to float32 rounding in the
 * graph (~1e-6 relative). We check |fd - <g, D>| <= 2e-4 * ||g|| ||D||, for v random and v = g / ||g||
 * (the latter is maximally sensitive to a wrong scale). A 10% error in g gives ~1e-2 ||g|| ||D|| for
 * v = g and ~0.1 ||g|| ||D|| / sqrt(n) for random v, both far above the bound.
 */
import { describe, expect, it } from 'vitest';
import { OrtSession } from '../../src/runtime/ort.js';
import { batchFeeds, paramFeeds } from '../../src/engine/ort/feeds.js';
import { buildGradGraph, gradOutput } from '../../src/engine/ort/graphs.js';
import type { BertConfig } from '../../src/model/config.js';
import type { HostParams } from '../../src/core/params.js';
import { rng } from '../../src/core/random.js';
import { randomHostParams, referenceLogits } from '../model/onnx/reference.js';
import { paddedBatch } from './fixtures.js';

const config: BertConfig = {
  vocabSize: 40,
  hiddenSize: 16,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 32,
  maxPositions: 12,
  typeVocabSize: 2,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.02,
};

/** Mean cross-entropy over the selected rows, float64, from the reference logits. */
function referenceLoss(p: HostParams, batch: ReturnType<typeof paddedBatch>): number {
  const logits = referenceLogits(config, p, batch);
  let sum = 0;
  batch.maskedPositions.forEach((pos, n) => {
    const row = logits[pos];
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
    sum += lse - row[batch.maskedLabels[n]];
  });
  return sum / batch.maskedPositions.length;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

describe('ort gradient graph vs float64 central differences', () => {
  it('matches every parameter along a random direction and along the gradient', async () => {
    const params = randomHostParams(config, 3, 0.3);
    const batch = paddedBatch(config, 3, 8, 11);
    const session = await OrtSession.create(buildGradGraph(config), {}, 'the gradient graph');
    const out = await session.run({ ...batchFeeds(config, batch), ...paramFeeds(params) });
    await session.release();
    // The loss itself matches the float64 forward (float32 graph: ~1e-6 relative).
    const loss = referenceLoss(params, batch);
    expect(Math.abs((out.loss.data[0] as number) - loss)).toBeLessThan(1e-5 * loss);

    const r = rng(5, 'fd-direction');
    const h = 1e-3;
    for (const name of Object.keys(params)) {
      const g = out[gradOutput(name)].data as Float32Array;
      const gNorm = Math.sqrt(dot(g, g));
      if (name.endsWith('attention.self.key.bias')) {
        // Adding a constant to every key shifts each score row by a constant: softmax is unchanged, dL/dbk = 0.
        expect(gNorm).toBeLessThan(1e-6);
        continue;
      }
      for (const kind of ['random', 'gradient']) {
        const v = kind === 'random' ? Float64Array.from(g, () => r.normal()) : Float64Array.from(g, (x) => x / gNorm);
        const w = params[name].data;
        const plus = Float32Array.from(w, (x, i) => x + h * v[i]);
        const minus = Float32Array.from(w, (x, i) => x - h * v[i]);
        const fd =
          referenceLoss({ ...params, [name]: { shape: params[name].shape, data: plus } }, batch) -
          referenceLoss({ ...params, [name]: { shape: params[name].shape, data: minus } }, batch);
        const delta = Float64Array.from(plus, (x, i) => x - minus[i]);
        const predicted = dot(g, delta);
        const scale = gNorm * Math.sqrt(dot(delta, delta));
        expect(Math.abs(fd - predicted), `${name} (${kind}): fd ${fd} vs <g, D> ${predicted}`).toBeLessThanOrEqual(2e-4 * scale);
      }
    }
  }, 60_000);
});
