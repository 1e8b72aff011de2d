/**
 * Sanity check of the tfjs model on the real corpus: train `tiny` with tfjs's own Adam
 * (tf.train.adam, independent of src/optim) and print the mean training loss every 20 steps, plus
 * the held-out loss before and after. The loss must fall well below ln(V) = 9.01 (uniform guess).
 *
 * Usage: node bin/run-script.mjs scripts/loss-falls.ts
 *   [--steps 200] [--lr 1e-3] [--batch 32] [--seq 128] [--backend wasm] [--cache .cache/data] [--seed 0]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../src/runtime/backend.js';
import { evalBatches, makeBatcher } from '../src/data/mlm.js';
import { prepareData } from '../src/data/prepare.js';
import { evaluate, initParams, lossAndGrads } from '../src/model/bert.js';
import { presetConfig } from '../src/model/config.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const steps = Number(flag('steps', '200')),
    lr = Number(flag('lr', '1e-3'));
  const B = Number(flag('batch', '32')),
    T = Number(flag('seq', '128')),
    seed = Number(flag('seed', '0'));
  const backend = await initBackend({ prefer: flag('backend', 'wasm') as BackendName });
  const t0 = performance.now();
  const data = prepareData({ corpus: 'sotu', vocabSize: 8192, seqLen: T, cacheDir: flag('cache', '.cache/data') });
  const config = presetConfig('tiny', { vocabSize: data.tokenizer.vocabSize });
  console.log(
    `backend ${backend.name}; data ${data.train.count} train / ${data.heldout.count} held-out sequences of ${T} ` +
      `(vocab ${config.vocabSize}, ${((performance.now() - t0) / 1000).toFixed(1)} s to prepare); tiny, Adam lr ${lr}, batch ${B}`,
  );

  const batcher = makeBatcher({ sequences: data.train, batchSize: B, seed });
  const heldout = evalBatches(data.heldout, B, undefined, { maxSequences: 4 * B });
  // tf.train.adam updates variables found by name, so the parameters become named variables.
  const params: Record<string, tf.Variable> = {};
  for (const [name, t] of Object.entries(initParams(config, seed))) {
    params[name] = tf.variable(t, true, name);
    t.dispose();
  }
  const optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const before = evaluate(params, config, heldout);
  console.log(
    `step    0  held-out loss ${before.loss.toFixed(3)}  accuracy ${before.accuracy.toFixed(3)}  (ln V = ${Math.log(config.vocabSize).toFixed(3)})`,
  );

  let sum = 0,
    count = 0;
  const start = performance.now();
  for (let step = 0; step < steps; step++) {
    const { loss, grads } = lossAndGrads(params, config, batcher.batchAt(step), { training: true, seed, step });
    optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor }))); // borrows grads
    tf.dispose(Object.values(grads));
    sum += loss;
    count++;
    if ((step + 1) % 20 === 0) {
      const secs = (performance.now() - start) / 1000;
      console.log(
        `step ${String(step + 1).padStart(4)}  train loss (mean of last ${count}) ${(sum / count).toFixed(3)}  ` +
          `${(secs / (step + 1)).toFixed(2)} s/step  tensors ${tf.memory().numTensors}`,
      );
      sum = 0;
      count = 0;
    }
  }
  const after = evaluate(params, config, heldout);
  console.log(
    `step ${String(steps).padStart(4)}  held-out loss ${after.loss.toFixed(3)}  accuracy ${after.accuracy.toFixed(3)}  (${after.tokens} tokens)`,
  );
  optimizer.dispose();
  tf.dispose(Object.values(params));
}

await main();
