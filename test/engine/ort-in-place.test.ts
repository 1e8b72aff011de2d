/**
 * In-place fused steps (src/engine/ort/in-place.ts): with `inPlace` the SGD graph writes each parameter's
 * new value into the array it read the old one from. If any update ran before a reader of the old value
 * (the backward dx = dy W^T, the tied output projection...), that reader would see new weights and the
 * run would differ. So the in-place trainer must give the same bits as the two-set trainer, step after
 * step, for every rule the fused path runs: plain SGD with clipping and decay, the step-norm target over
 * multi-tensor groups, and the factored preconditioner. With dropout too (the masks are inputs).
 */
import { describe, expect, it } from 'vitest';
import { createOrtSgdTrainer, type OrtSgdOptions } from '../../src/engine/ort/sgd-trainer.js';
import { validateConfig, type BertConfig } from '../../src/model/config.js';
import { initValues } from '../../src/model/init.js';
import type { CoordinateFactors } from '../../src/optim/precondition.js';
import type { HostParams } from '../../src/core/params.js';
import { paddedBatch } from './fixtures.js';

const config: BertConfig = validateConfig({
  vocabSize: 64,
  hiddenSize: 16,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 32,
  maxPositions: 16,
  typeVocabSize: 2,
  dropout: 0.1,
  layerNormEps: 1e-12,
  initStd: 0.05,
});
const groupOf = (name: string): string => name.split('.').slice(0, 3).join('.');

function factorsFor(p: HostParams): Record<string, CoordinateFactors> {
  return Object.fromEntries(
    Object.entries(p).map(([name, { shape }]) => [
      name,
      shape.length === 2
        ? {
            rows: Float32Array.from({ length: shape[0] }, (_, i) => 1e-4 * (1 + (i % 5))),
            cols: Float32Array.from({ length: shape[1] }, (_, j) => 1e-3 * (1 + (j % 3))),
            eps: 1e-3,
          }
        : { values: Float32Array.from({ length: shape[0] }, (_, i) => 1e-4 * (1 + (i % 7))), eps: 1e-3 },
    ]),
  );
}

/** Runs `steps` steps with both trainers and returns their parameters (copies) and losses. */
async function both(options: OrtSgdOptions, steps: number) {
  const out = [];
  for (const inPlace of [false, true]) {
    const initial = initValues(config, 4);
    const trainer = await createOrtSgdTrainer(config, initial, { ...options, inPlace, seed: 2 });
    const names = Object.keys(initial).sort();
    const lr = Object.fromEntries(names.map((n, i) => [n, 0.05 * (1 + (i % 3))]));
    const decay = Object.fromEntries(names.map((n) => [n, 1e-3]));
    const losses: number[] = [];
    for (let t = 0; t < steps; t++) {
      const r = await trainer.step(paddedBatch(config, 3, 12, 10 + t), lr, { decayByParam: options.weightDecay ? decay : undefined });
      expect(r.applied).toBe(true);
      losses.push(r.loss);
    }
    const p = trainer.getParams();
    out.push({
      losses,
      params: Object.fromEntries(names.map((n) => [n, Float32Array.from(p[n].data)])),
      adopted: p[names[0]].data === initial[names[0]].data,
    });
    await trainer.dispose();
  }
  return { twoSets: out[0], inPlace: out[1] };
}

describe('in-place fused SGD steps', () => {
  it('plain SGD with clipping and decay: the same bits as two sets, and the arrays are adopted', async () => {
    const { twoSets, inPlace } = await both({ clipNorm: 0.5, weightDecay: true }, 4);
    expect(inPlace.adopted).toBe(true);
    expect(twoSets.adopted).toBe(false);
    expect(inPlace.losses).toEqual(twoSets.losses);
    for (const name of Object.keys(twoSets.params)) expect(inPlace.params[name], name).toEqual(twoSets.params[name]);
    // The steps moved the weights (a test that compares two unchanged copies would pass vacuously).
    expect(twoSets.losses[3]).not.toBe(twoSets.losses[0]);
  });

  it('step-norm target over multi-tensor groups with the factored preconditioner: the same bits', async () => {
    const factors = factorsFor(initValues(config, 4));
    const { twoSets, inPlace } = await both({ normalizeBy: groupOf, preconditioner: factors }, 4);
    expect(inPlace.losses).toEqual(twoSets.losses);
    for (const name of Object.keys(twoSets.params)) expect(inPlace.params[name], name).toEqual(twoSets.params[name]);
  });

  it('a non-finite gradient reports the step as not applied, naming the tensors', async () => {
    const initial = initValues(config, 4);
    const trainer = await createOrtSgdTrainer(config, initial, { inPlace: true });
    const names = Object.keys(initial).sort();
    // A learning rate of 1e38 on every tensor overflows the weights at step 1, so step 2's gradients are not finite.
    const huge = Object.fromEntries(names.map((n) => [n, 1e38]));
    expect((await trainer.step(paddedBatch(config, 3, 12, 1), huge)).applied).toBe(true);
    const r = await trainer.step(paddedBatch(config, 3, 12, 2), huge);
    expect(r.applied).toBe(false);
    expect(r.nonFinite.length).toBeGreaterThan(0);
    expect(r.nonFinite).toEqual([...r.nonFinite].sort());
    await trainer.dispose();
  });
});
