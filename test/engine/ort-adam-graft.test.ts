/**
 * The ort step graph's stateful rules against the library's reference optimizers on the tfjs engine (cpu):
 *   adam:  adamw({lr: eta, wd}) with clipping       m, v updated in place inside the graph
 *   graft: graft({magnitude: adam(eta), direction: sgd(eta)}) per tensor, with clipping
 *   mixed: Adam for LayerNorm and bias tensors, step-norm SGD for the rest (the hybrid's layout)
 * 16 steps over 4 padded batches, clipping active on some: the loss curves agree to 2e-4 relative at
 * every step and the final weights to 1e-3 (float32 drift between two engines); the graft's per-group
 * norms nM = ||u_Adam[G]|| and nG = ||g[G]|| agree with the reference graft state's to 1e-4. A wrong bias
 * correction, beta or ratio moves the loss by far more within a few steps.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { createOrtStepTrainer, type OrtStepOptions } from '../../src/engine/ort/step-trainer.js';
import { createTfjsEngine } from '../../src/engine/tfjs.js';
import { initValues } from '../../src/model/init.js';
import { adam, adamw, scheduledSgd, sgd } from '../../src/optim/alias.js';
import type { Optimizer } from '../../src/optim/base.js';
import { chain } from '../../src/optim/combine.js';
import { graft, type GraftState } from '../../src/optim/graft.js';
import { disposeState, optimizerStep } from '../../src/optim/state.js';
import { clipByGlobalNorm } from '../../src/optim/transforms.js';
import { disposeParams, fromHost } from '../../src/core/params.js';
import { isVectorParam } from '../../src/run/train/train-options.js';
import { hybrid } from '../../src/run/train/hybrid.js';
import { normalizeByGroup } from '../../src/run/train/optimizers.js';
import { paddedBatch, twoLayerConfig } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const config = twoLayerConfig;
const batches = [0, 1, 2, 3].map((i) => paddedBatch(config, 4, 16, 60 + i));
const STEPS = 16;
const eta = (t: number): number => 3e-3 * (1 - t / (2 * STEPS));
const hyper = { beta1: 0.9, beta2: 0.99, eps: 1e-6 };
const CLIP = 1.0,
  WD = 0.05;

/** Runs both for STEPS steps; `lrOf`/`decayOf` give the ort trainer's per-parameter inputs at step t. */
async function compare(
  reference: Optimizer<unknown>,
  options: OrtStepOptions,
  lrOf: (name: string, t: number) => number,
  decayOf?: (name: string, t: number) => number,
  onStep?: (t: number, ortNorms: Record<string, { magnitude: number; grad: number }>, state: unknown) => void,
) {
  const initial = initValues(config, 21);
  const names = Object.keys(initial).sort();
  const tfjs = createTfjsEngine(config);
  let params = fromHost(initial);
  let state = reference.init(params);
  const trainer = await createOrtStepTrainer(config, initial, { ...options, adam: hyper, inPlace: true });
  const lossesOrt: number[] = [],
    lossesRef: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    const batch = batches[t % batches.length];
    const ref = await tfjs.lossAndGrads(params, batch, t);
    ({ params, state } = optimizerStep(reference, params, ref.grads, state));
    disposeParams(ref.grads);
    const lr = Object.fromEntries(names.map((n) => [n, lrOf(n, t)]));
    const decay = decayOf && Object.fromEntries(names.map((n) => [n, decayOf(n, t)]));
    const r = await trainer.step(batch, lr, { decayByParam: decay });
    expect(r.applied).toBe(true);
    onStep?.(t, r.graftNorms, state);
    lossesOrt.push(r.loss);
    lossesRef.push(ref.loss);
  }
  for (let t = 0; t < STEPS; t++) expect(Math.abs(lossesOrt[t] - lossesRef[t]), `step ${t}`).toBeLessThan(2e-4 * lossesRef[t]);
  expect(lossesRef[0] - lossesRef[STEPS - 1]).toBeGreaterThan(0.05); // the runs moved
  const host = trainer.getParams();
  for (const name of names.filter((n) => !n.endsWith('key.bias'))) {
    // key biases: true gradient 0, noise only
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
  const bytes = trainer.stateBytes();
  disposeParams(params);
  disposeState(state);
  await trainer.dispose();
  return { bytes, count: Object.values(initial).reduce((n, p) => n + p.data.length, 0) };
}

describe('ort step graph: Adam and graft rules', () => {
  it('adam (AdamW, clipped) follows the tfjs reference; its state is 8 bytes per parameter', async () => {
    const reference = chain(clipByGlobalNorm(CLIP), adamw({ lr: eta, ...hyper, weightDecay: WD })) as Optimizer<unknown>;
    const { bytes, count } = await compare(
      reference,
      { ruleOf: () => 'adam', clipNorm: CLIP, weightDecay: true },
      (_, t) => eta(t),
      (_, t) => eta(t) * WD,
    );
    expect(bytes).toBe(8 * count);
  }, 60_000);

  it('graft (Adam#SGD per tensor, clipped) follows the tfjs reference, and reports its per-group norms', async () => {
    const reference = chain(
      clipByGlobalNorm(CLIP),
      graft({ magnitude: adam({ lr: eta, ...hyper }), direction: sgd({ lr: eta }) }),
    ) as Optimizer<unknown>;
    let checked = 0;
    await compare(
      reference,
      { ruleOf: () => 'graft', clipNorm: CLIP },
      (_, t) => eta(t),
      undefined,
      (t, norms, state) => {
        const g = (state as unknown[])[1] as GraftState<unknown, unknown>; // chain state: [clip, graft]
        for (const [group, n] of Object.entries(g.norms)) {
          if (!(n.grad > 1e-6)) continue; // key biases: rounding noise only
          expect(Math.abs(norms[group].magnitude - n.magnitude), `${group} step ${t}`).toBeLessThan(1e-4 * n.magnitude);
          expect(Math.abs(norms[group].grad - n.grad), `${group} step ${t}`).toBeLessThan(1e-4 * n.grad);
          checked++;
        }
      },
    );
    expect(checked).toBeGreaterThan(STEPS * 20);
  }, 60_000);

  it('mixed: Adam on LayerNorm and biases, step-norm SGD elsewhere (the hybrid layout)', async () => {
    const adamLr = (t: number) => eta(t) * 2;
    const stepNorm = chain(
      normalizeByGroup((n) => n),
      scheduledSgd({ lr: eta, multiplier: () => 0.5 }),
    ) as Optimizer<unknown>;
    const reference = hybrid({ stateless: stepNorm, stateful: adam({ lr: adamLr, ...hyper }) as Optimizer<unknown> }) as Optimizer<unknown>;
    const { bytes } = await compare(reference, { ruleOf: (n) => (isVectorParam(n) ? 'adam' : 'sgd'), groupOf: (n) => n }, (n, t) =>
      isVectorParam(n) ? adamLr(t) : eta(t) * 0.5,
    );
    const vectors = Object.entries(initValues(config, 21))
      .filter(([n]) => isVectorParam(n))
      .reduce((k, [, p]) => k + p.data.length, 0);
    expect(bytes).toBe(8 * vectors);
  }, 60_000);
});
