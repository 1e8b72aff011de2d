/**
 * Milliseconds per training step (lossAndGrads + a plain SGD update) of the tfjs engine, per preset,
 * on random token batches. Usage: node bin/run-script.mjs scripts/engine-speed.ts
 *   [--backend wasm|cpu|tensorflow] [--presets tiny,mini] [--batch 32] [--seq 128] [--steps 5] [--warmup 2]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../src/runtime/backend.js';
import type { MlmBatch } from '../src/data/batch.js';
import { presetConfig, type BertConfig } from '../src/model/config.js';
import { initParams, lossAndGrads } from '../src/model/bert.js';
import { rng } from '../src/core/random.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** Random ids, full attention mask, 15% of positions selected (at least one). */
function randomBatch(c: BertConfig, B: number, T: number, seed: number): MlmBatch {
  const r = rng(seed, 'engine-speed');
  const inputIds = Int32Array.from({ length: B * T }, () => r.int(c.vocabSize));
  const positions: number[] = [];
  for (let i = 0; i < B * T; i++) if (r.uniform() < 0.15) positions.push(i);
  if (positions.length === 0) positions.push(0);
  return {
    batchSize: B,
    seqLen: T,
    inputIds,
    attentionMask: new Int32Array(B * T).fill(1),
    tokenTypeIds: new Int32Array(B * T),
    maskedPositions: Int32Array.from(positions),
    maskedLabels: Int32Array.from(positions, () => r.int(c.vocabSize)),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const backend = await initBackend({ prefer: flag('backend', 'wasm') as BackendName });
  const presets = flag('presets', 'tiny,mini').split(',');
  const B = Number(flag('batch', '32')),
    T = Number(flag('seq', '128'));
  const steps = Number(flag('steps', '5')),
    warmup = Number(flag('warmup', '2'));
  const lr = 1e-3;
  console.log(`backend ${backend.name} (${backend.reason}); batch ${B}, seq ${T}; median of ${steps} steps after ${warmup} warm-up`);
  console.log('preset | params | wall ms/step median | min | max | cpu ms/step median | loss first -> last');
  for (const name of presets) {
    const config = presetConfig(name);
    let params = initParams(config, 0);
    const count = Object.values(params).reduce((n, t) => n + t.size, 0);
    const times: number[] = [];
    const cpuTimes: number[] = []; // process CPU time: robust when other processes share the cores
    const losses: number[] = [];
    for (let s = 0; s < warmup + steps; s++) {
      const batch = randomBatch(config, B, T, s);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const { loss, grads } = lossAndGrads(params, config, batch, { training: true, seed: 0, step: s });
      const next = tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const k of Object.keys(params)) out[k] = tf.sub(params[k], tf.mul(grads[k], lr)); // w <- w - lr g
        return out;
      });
      tf.dispose([...Object.values(params), ...Object.values(grads)]);
      params = next;
      params[Object.keys(params)[0]].dataSync(); // wait for the update
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      if (s >= warmup) {
        times.push(ms);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
      }
      losses.push(loss);
    }
    tf.dispose(Object.values(params));
    console.log(
      `${name} | ${(count / 1e6).toFixed(2)}M | ${median(times).toFixed(0)} | ${Math.min(...times).toFixed(0)} | ` +
        `${Math.max(...times).toFixed(0)} | ${median(cpuTimes).toFixed(0)} | ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}`,
    );
  }
}

await main();
