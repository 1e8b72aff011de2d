/**
 * The fused ort SGD step against the library's own scheduledSgd on the tfjs engine (cpu backend):
 *   w <- w - eta(t) (c_G(t) clip(g)[G] + wd w[G])      (src/optim/alias.ts scheduledSgd)
 * fed to the trainer as lr_w = eta(t) c_G(t) and decay_w = eta(t) wd (0 for biases and LayerNorm).
 * 24 steps over 4 padded batches with clipping active on some steps: the loss curves must agree to
 * 2e-4 relative at every step (float32 drift; a wrong lr, decay or clip factor moves the loss by far more
 * than that within a few steps), and the curve must move by much more than the tolerance.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { createOrtSgdTrainer } from '../../src/engine/ort/sgd-trainer.js';
import { createTfjsEngine } from '../../src/engine/tfjs.js';
import { initValues } from '../../src/model/init.js';
import { scheduledSgd } from '../../src/optim/alias.js';
import { disposeState, optimizerStep } from '../../src/optim/state.js';
import { globalNorm } from '../../src/optim/transforms.js';
import { disposeParams, fromHost } from '../../src/core/params.js';
import { paddedBatch, twoLayerConfig } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const config = twoLayerConfig;
const batches = [0, 1, 2, 3].map((i) => paddedBatch(config, 4, 16, 40 + i));
const STEPS = 24;
const eta = (t: number): number => 0.5 * (1 - t / (2 * STEPS)); // linear decay from 0.5
/** Per-tensor multipliers c_G: embeddings slower, the head faster, varying with the step. */
const multiplier = (name: string, t: number): number => (name.startsWith('embeddings') ? 0.5 : name.startsWith('cls') ? 1.5 + 0.01 * t : 1);
const WD = 0.1,
  CLIP = 2.5;
const decays = (name: string): boolean => name.endsWith('kernel') || name.endsWith('embeddings');

describe('fused ort SGD step', () => {
  it('follows scheduledSgd on the tfjs engine for 24 steps (per-parameter lr, clipping, weight decay)', async () => {
    const initial = initValues(config, 11);
    const trainer = await createOrtSgdTrainer(config, initial, { clipNorm: CLIP, weightDecay: true });
    const tfjs = createTfjsEngine(config);
    const opt = scheduledSgd({ lr: eta, multiplier, clipNorm: CLIP, weightDecay: WD, decays });
    const tensorsBefore = tf.memory().numTensors;
    let params = fromHost(initial);
    let state = opt.init(params);
    const names = Object.keys(initial).sort();
    const lossesOrt: number[] = [],
      lossesTfjs: number[] = [];
    let clipped = 0;
    for (let t = 0; t < STEPS; t++) {
      const batch = batches[t % batches.length];
      const ref = await tfjs.lossAndGrads(params, batch, t);
      const refNorm = globalNorm(ref.grads);
      ({ params, state } = optimizerStep(opt, params, ref.grads, state));
      disposeParams(ref.grads);
      const lr: Record<string, number> = {},
        decay: Record<string, number> = {};
      for (const name of names) {
        lr[name] = eta(t) * multiplier(name, t);
        decay[name] = decays(name) ? eta(t) * WD : 0;
      }
      const r = await trainer.step(batch, lr, { decayByParam: decay });
      expect(r.applied).toBe(true);
      expect(Math.abs(r.gradNorm - refNorm)).toBeLessThan(2e-4 * refNorm);
      if (refNorm > CLIP) clipped++;
      lossesOrt.push(r.loss);
      lossesTfjs.push(ref.loss);
    }
    for (let t = 0; t < STEPS; t++) {
      expect(Math.abs(lossesOrt[t] - lossesTfjs[t]), `step ${t}`).toBeLessThan(2e-4 * lossesTfjs[t]);
    }
    expect(clipped).toBeGreaterThan(0);
    expect(clipped).toBeLessThan(STEPS);
    // Training moves the loss: from ~ln 64 = 4.16 down by well over the tolerance.
    expect(lossesTfjs[0] - lossesTfjs[STEPS - 1]).toBeGreaterThan(0.5);
    // Final parameters agree too, except the key biases: their true gradient is 0 (softmax ignores a
    // constant added to a row of scores), so both engines only accumulate rounding noise there.
    const host = trainer.getParams();
    for (const name of names.filter((n) => !n.endsWith('key.bias'))) {
      const a = host[name].data,
        b = params[name].dataSync();
      let num = 0,
        den = 0;
      for (let i = 0; i < a.length; i++) {
        num += (a[i] - b[i]) ** 2;
        den += b[i] ** 2;
      }
      if (den > 0) expect(Math.sqrt(num / den), name).toBeLessThan(1e-3);
    }
    disposeParams(params);
    disposeState(state);
    expect(tf.memory().numTensors).toBe(tensorsBefore); // nothing leaked by either path
    await trainer.dispose();
  }, 60_000);

  it('is deterministic: two trainers fed the same inputs end with bit-identical parameters', async () => {
    const initial = initValues(config, 12);
    const run = async (): Promise<Float32Array[]> => {
      const trainer = await createOrtSgdTrainer(config, initial);
      const lr = Object.fromEntries(Object.keys(initial).map((n) => [n, 0.3]));
      for (let t = 0; t < 3; t++) await trainer.step(batches[t], lr);
      const p = trainer.getParams();
      await trainer.dispose();
      return Object.keys(initial)
        .sort()
        .map((n) => p[n].data);
    };
    const [a, b] = [await run(), await run()];
    a.forEach((x, i) => expect(Buffer.compare(Buffer.from(x.buffer), Buffer.from(b[i].buffer))).toBe(0));
    // and they moved: the word embeddings differ from the initial values
    expect(a[Object.keys(initial).sort().indexOf('embeddings.word_embeddings')]).not.toEqual(initial['embeddings.word_embeddings'].data);
  });

  it('leaves the parameters unchanged when the gradient is not finite', async () => {
    const initial = initValues(config, 13);
    initial['encoder.layer.1.output.LayerNorm.gamma'].data[3] = NaN; // the loss and every gradient become NaN
    const trainer = await createOrtSgdTrainer(config, initial);
    const lr = Object.fromEntries(Object.keys(initial).map((n) => [n, 0.3]));
    const r = await trainer.step(batches[0], lr);
    expect(Number.isNaN(r.gradNorm)).toBe(true);
    expect(r.applied).toBe(false);
    const p = trainer.getParams();
    for (const name of Object.keys(initial)) {
      expect(Buffer.compare(Buffer.from(p[name].data.buffer), Buffer.from(initial[name].data.buffer)), name).toBe(0);
    }
    await trainer.dispose();
  });
});
