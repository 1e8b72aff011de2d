/**
 * The fused SGD graph's fixed preconditioner, one step checked element by element against a float64
 * computation from the same gradients (the tfjs engine on the cpu backend; gradient parity between the
 * engines is ~1e-6, test/engine/ort-parity.test.ts):
 *   d = P * g,  P_ij = 1 / sqrt(R_i C_j / mean(R) + eps^2)  (matrices),  P_i = 1 / sqrt(v_i + eps^2)  (vectors)
 *   w' = w - lr_w d / ||d[G]||,  ||d[G]|| over all tensors of G
 * The factors are made up with a 100x spread so that a transposed factor, a missing mean(R) or a wrong eps
 * moves some element by far more than the tolerance (1e-4 of the largest step of the tensor, plus float32
 * rounding of the new weight).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { createOrtSgdTrainer } from '../../src/engine/ort/sgd-trainer.js';
import { createTfjsEngine } from '../../src/engine/tfjs.js';
import { validateConfig, type BertConfig } from '../../src/model/config.js';
import { initValues } from '../../src/model/init.js';
import type { CoordinateFactors } from '../../src/optim/precondition.js';
import { disposeParams, fromHost } from '../../src/core/params.js';
import { rng } from '../../src/core/random.js';
import { paddedBatch } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const config: BertConfig = validateConfig({
  vocabSize: 64,
  hiddenSize: 16,
  numLayers: 1,
  numHeads: 2,
  intermediateSize: 32,
  maxPositions: 16,
  typeVocabSize: 2,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.02,
});
/** Groups spanning several tensors: the first two name parts (embeddings.word_embeddings, encoder.layer, cls.predictions). */
const groupOf = (name: string): string => name.split('.').slice(0, 2).join('.');

/** Positive factors spread over 1e-4..1e-2 (a 100x range), seeded. */
function madeUpFactors(shapes: Record<string, number[]>): Record<string, CoordinateFactors> {
  const r = rng(5, 'test-factors');
  const spread = (n: number) => Float32Array.from({ length: n }, () => 1e-4 * 100 ** r.uniform());
  return Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => [
      name,
      shape.length === 2
        ? { rows: spread(shape[0]), cols: spread(shape[1]), eps: 3e-4 }
        : { values: spread(shape.reduce((a, d) => a * d, 1)), eps: 3e-4 },
    ]),
  );
}

/** P (float64, row-major) from the factors, as the file comment. */
function pOf(f: CoordinateFactors): Float64Array {
  const eps2 = f.eps * f.eps;
  if ('values' in f) return Float64Array.from(f.values, (v) => 1 / Math.sqrt(v + eps2));
  const meanR = f.rows.reduce((a, v) => a + v, 0) / f.rows.length;
  const out = new Float64Array(f.rows.length * f.cols.length);
  f.rows.forEach((ri, i) =>
    f.cols.forEach((cj, j) => {
      out[i * f.cols.length + j] = 1 / Math.sqrt((ri * cj) / meanR + eps2);
    }),
  );
  return out;
}

describe('fused SGD graph with a factored preconditioner', () => {
  it('applies w - lr P g / ||P g||[G] element by element', async () => {
    const initial = initValues(config, 3);
    const shapes = Object.fromEntries(Object.entries(initial).map(([n, p]) => [n, p.shape]));
    const factors = madeUpFactors(shapes);
    const batch = paddedBatch(config, 3, 12, 9);
    const names = Object.keys(initial).sort();
    const lr = Object.fromEntries(names.map((n, i) => [n, 0.01 * (1 + (i % 3))]));

    const trainer = await createOrtSgdTrainer(config, initial, { normalizeBy: groupOf, preconditioner: factors });
    await trainer.step(batch, lr);
    const after = trainer.getParams();

    const params = fromHost(initial);
    const { grads } = await createTfjsEngine(config).lossAndGrads(params, batch, 0);
    const d: Record<string, Float64Array> = {};
    const sq = new Map<string, number>();
    for (const n of names) {
      const g = grads[n].dataSync();
      const p = pOf(factors[n]);
      d[n] = Float64Array.from(g, (x, i) => x * p[i]); // d = P * g
      sq.set(groupOf(n), (sq.get(groupOf(n)) ?? 0) + d[n].reduce((a, x) => a + x * x, 0));
    }
    tf.dispose(Object.values(grads));
    disposeParams(params);

    let checked = 0;
    for (const n of names) {
      const norm = Math.sqrt(sq.get(groupOf(n))!);
      const step = d[n].map((x) => (lr[n] * x) / norm); // lr d / ||d[G]||
      const largest = step.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
      if (largest < 1e-6 * lr[n]) continue; // the attention key bias: its gradient is round-off (softmax ignores it)
      for (let i = 0; i < step.length; i++) {
        const expected = initial[n].data[i] - step[i];
        // plus float32 rounding of w' itself (2 ulp; LayerNorm gamma sits at 1)
        expect(Math.abs(after[n].data[i] - expected), `${n}[${i}]`).toBeLessThan(1e-4 * largest + 2.4e-7 * Math.abs(expected));
      }
      checked++;
    }
    expect(checked).toBe(names.length - 1);
    await trainer.dispose();
  });

  it('refuses factors that do not fit the model, and a preconditioner without group norms', async () => {
    const initial = initValues(config, 3);
    const factors = madeUpFactors(Object.fromEntries(Object.entries(initial).map(([n, p]) => [n, p.shape])));
    const word = factors['embeddings.word_embeddings'] as { rows: Float32Array; cols: Float32Array; eps: number };
    const bad = { ...factors, 'embeddings.word_embeddings': { ...word, rows: word.rows.subarray(1) } };
    await expect(createOrtSgdTrainer(config, initial, { normalizeBy: groupOf, preconditioner: bad })).rejects.toThrow(
      'embeddings.word_embeddings has shape [64,16] but its factors are for [63,16]',
    );
    const { ['cls.predictions.bias']: _dropped, ...missing } = factors;
    await expect(createOrtSgdTrainer(config, initial, { normalizeBy: groupOf, preconditioner: missing })).rejects.toThrow(
      'no factors for cls.predictions.bias',
    );
    await expect(createOrtSgdTrainer(config, initial, { preconditioner: factors })).rejects.toThrow('a preconditioner needs normalizeBy');
  });
});
