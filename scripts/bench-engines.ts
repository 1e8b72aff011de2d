/**
 * Training speed of the engines side by side: ms/step, tokens/s, achieved GFLOP/s against a measured
 * onnxruntime GEMM peak, and peak RSS, per preset (batch 32, sequence 128 by default).
 *
 *   node bin/run-script.mjs scripts/bench-engines.ts [--presets tiny,mini] [--batch 32] [--seq 128]
 *     [--steps 10] [--warmup 2] [--tfjs-steps 3] [--engines tfjs,ort-grads,ort-sgd,torch] [--backend wasm] [--json]
 *
 * Engines: `tfjs` = tfjs engine (autodiff) + plain SGD update in tfjs; `ort-grads` = ort engine gradients
 * copied into tfjs + the same tfjs update (the path every optimizer uses); `ort-sgd` = the fused ort step
 * (loss, gradients and SGD update in one onnxruntime run, what `train` runs for sgd/static on ort);
 * `torch` = the same model in PyTorch with torch.optim.SGD (scripts/bench-torch.py, run only when a
 * python3 with torch is found; also measures numpy/torch sgemm). Each (engine, preset) runs in its own child
 * process, so peak RSS is that configuration's alone. Times are medians after warm-up; the machine may
 * be shared, so the minimum is shown as well.
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, type BackendName } from '../src/runtime/backend.js';
import type { MlmBatch } from '../src/data/batch.js';
import { createOrtEngine } from '../src/engine/ort/engine.js';
import { createOrtSgdTrainer } from '../src/engine/ort/sgd-trainer.js';
import { createTfjsEngine } from '../src/engine/tfjs.js';
import { float32Feed, OrtSession } from '../src/runtime/ort.js';
import { presetConfig, type BertConfig } from '../src/model/config.js';
import { initValues } from '../src/model/init.js';
import { GraphBuilder } from '../src/formats/onnx-builder.js';
import { sgd } from '../src/optim/alias.js';
import { disposeState, optimizerStep } from '../src/optim/state.js';
import { disposeParams, fromHost } from '../src/core/params.js';
import { rng } from '../src/core/random.js';
import { findTorchPython, torchEnv } from '../src/experiments/bench/torch-python.js';

const { values: opts } = parseArgs({
  options: {
    presets: { type: 'string', default: 'tiny,mini' },
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '128' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'tfjs-steps': { type: 'string', default: '3' },
    engines: { type: 'string', default: 'tfjs,ort-grads,ort-sgd,torch' },
    backend: { type: 'string', default: 'wasm' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' }, // internal: "<engine>:<preset>" or "gemm"
  },
});

/** Random ids, full attention (packed text), 15% of positions selected. */
export function benchBatch(c: BertConfig, B: number, T: number): MlmBatch {
  const r = rng(0, 'bench-engines');
  const inputIds = Int32Array.from({ length: B * T }, () => 5 + r.int(c.vocabSize - 5));
  const positions: number[] = [];
  for (let i = 0; i < B * T; i++) if (r.uniform() < 0.15 || i === 0) positions.push(i);
  return {
    batchSize: B,
    seqLen: T,
    inputIds,
    attentionMask: new Int32Array(B * T).fill(1),
    tokenTypeIds: new Int32Array(B * T),
    maskedPositions: Int32Array.from(positions),
    maskedLabels: Int32Array.from(positions, () => 5 + r.int(c.vocabSize - 5)),
  };
}

/**
 * Matmul FLOPs of one training step (forward + backward = 3x forward, 2 FLOPs per multiply-add):
 *   forward MACs = BT L (4H^2 + 2HI) + L 2 B T^2 H (scores and context) + N (H^2 + V H) (head on N rows).
 */
export function trainingFlops(c: BertConfig, B: number, T: number, N: number): number {
  const H = c.hiddenSize,
    I = c.intermediateSize,
    L = c.numLayers,
    V = c.vocabSize;
  const macs = B * T * L * (4 * H * H + 2 * H * I) + L * 2 * B * T * T * H + N * (H * H + V * H);
  return 6 * macs;
}

interface Measurement {
  medianMs: number;
  minMs: number;
  steps: number;
  lastLoss: number;
  peakRssMB: number;
  note: string;
}

const LR = 1e-3;

/** Times `step` (which returns the loss): `warmup` untimed calls, then `steps` timed ones. */
async function timeSteps(step: (i: number) => Promise<number>, steps: number, warmup: number): Promise<{ times: number[]; loss: number }> {
  let loss = NaN;
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    loss = await step(i);
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return { times, loss };
}

async function measureEngine(
  engine: string,
  config: BertConfig,
  batch: MlmBatch,
  o: { steps: number; warmup: number; backend: string },
): Promise<Measurement> {
  const initial = initValues(config, 0);
  let note = '';
  let run: { times: number[]; loss: number };
  if (engine === 'ort-sgd') {
    const trainer = await createOrtSgdTrainer(config, initial);
    const lr = Object.fromEntries(Object.keys(initial).map((n) => [n, LR]));
    run = await timeSteps(async () => (await trainer.step(batch, lr)).loss, o.steps, o.warmup);
    await trainer.dispose();
    note = 'fused onnxruntime step';
  } else if (engine === 'tfjs' || engine === 'ort-grads') {
    const backend = await initBackend({ prefer: o.backend as BackendName });
    const eng = engine === 'tfjs' ? createTfjsEngine(config) : await createOrtEngine(config);
    const opt = sgd({ lr: LR });
    let params: Record<string, tf.Tensor> = fromHost(initial);
    let state = opt.init(params);
    run = await timeSteps(
      async (i) => {
        const { loss, grads } = await eng.lossAndGrads(params, batch, i);
        ({ params, state } = optimizerStep(opt, params, grads, state));
        disposeParams(grads);
        return loss;
      },
      o.steps,
      o.warmup,
    );
    disposeParams(params);
    disposeState(state);
    await eng.dispose();
    note = `tfjs ${backend.name} update`;
  } else {
    throw new Error(`unknown engine "${engine}": use tfjs, ort-grads or ort-sgd`);
  }
  const sorted = [...run.times].sort((a, b) => a - b);
  return {
    medianMs: sorted[Math.floor(sorted.length / 2)],
    minMs: sorted[0],
    steps: sorted.length,
    lastLoss: run.loss,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    note,
  };
}

/** GFLOP/s of one big float32 MatMul (2048^3) in onnxruntime with the engine's session options. */
async function measureGemmPeak(): Promise<Measurement & { gflops: number }> {
  const n = 2048;
  const g = new GraphBuilder('gemm_peak', { opset: 17 });
  g.output(g.op('MatMul', [g.input('a', 'float32', [n, n]), g.input('b', 'float32', [n, n])], {}, 'y'), 'float32', [n, n]);
  const session = await OrtSession.create(g.toBytes(), {}, 'the GEMM benchmark');
  const a = float32Feed(new Float32Array(n * n).fill(0.5), [n, n]);
  const run = await timeSteps(async () => (await session.run({ a, b: a }, ['y'])).y.data[0] as number, 10, 2);
  await session.release();
  const sorted = [...run.times].sort((x, y) => x - y);
  const medianMs = sorted[5];
  return {
    medianMs,
    minMs: sorted[0],
    steps: 10,
    lastLoss: NaN,
    peakRssMB: 0,
    note: `${n}^3 median`,
    gflops: (2 * n ** 3) / (medianMs / 1000) / 1e9,
  };
}

async function child(spec: string): Promise<void> {
  const B = Number(opts.batch),
    T = Number(opts.seq);
  if (spec === 'gemm') {
    process.stdout.write(JSON.stringify(await measureGemmPeak()) + '\n');
    return;
  }
  const [engine, preset] = spec.split(':');
  const config = presetConfig(preset);
  const steps = engine === 'tfjs' ? Number(opts['tfjs-steps']) : Number(opts.steps);
  const m = await measureEngine(engine, config, benchBatch(config, B, T), {
    steps,
    warmup: engine === 'tfjs' ? 1 : Number(opts.warmup),
    backend: opts.backend!,
  });
  process.stdout.write(JSON.stringify(m) + '\n');
}

/**
 * One JSON line from scripts/bench-torch.py, run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
 * environment only (they pin an older OpenBLAS kernel on some machines): PyTorch on the kernel its CPU supports.
 */
function runTorch(python: string, args: string[]): Record<string, unknown> {
  const script = fileURLToPath(new URL('./bench-torch.py', import.meta.url));
  const out = execFileSync(python, [script, ...args], {
    encoding: 'utf8',
    env: torchEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** The PyTorch measurement of a preset, with the same config, batch and step counts. */
function torchMeasurement(python: string, config: BertConfig, preset: string): Measurement {
  const r = runTorch(python, [
    '--preset',
    preset,
    '--vocab',
    String(config.vocabSize),
    '--batch',
    opts.batch!,
    '--seq',
    opts.seq!,
    '--steps',
    opts.steps!,
    '--warmup',
    opts.warmup!,
    '--config',
    JSON.stringify({
      hiddenSize: config.hiddenSize,
      numLayers: config.numLayers,
      numHeads: config.numHeads,
      intermediateSize: config.intermediateSize,
    }),
  ]);
  return {
    medianMs: r.msPerStep as number,
    minMs: r.minMs as number,
    steps: r.steps as number,
    lastLoss: r.loss as number,
    peakRssMB: r.peakRssMB as number,
    note: `torch ${r.torch}, ${r.threads} threads, plain SGD, ${r.blasKernel}`,
  };
}

function runChild(spec: string): Measurement & { gflops?: number } {
  const runner = fileURLToPath(new URL('../bin/run-script.mjs', import.meta.url));
  const args = [...process.execArgv, runner, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--child', spec];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  if (opts.child) return child(opts.child);
  const B = Number(opts.batch),
    T = Number(opts.seq);
  const presets = opts.presets!.split(',');
  let engines = opts.engines!.split(',');
  const python = engines.includes('torch') ? findTorchPython() : undefined;
  const torchSkipped = engines.includes('torch') && python === undefined;
  if (torchSkipped) engines = engines.filter((e) => e !== 'torch');
  const gemm = runChild('gemm');
  const sgemm = python === undefined ? undefined : runTorch(python, ['--gemm', '--batch', opts.batch!, '--seq', opts.seq!]);
  const rows: Record<string, unknown>[] = [];
  for (const preset of presets) {
    const config = presetConfig(preset);
    const N = benchBatch(config, B, T).maskedPositions.length;
    const flops = trainingFlops(config, B, T, N);
    let tfjsMs: number | undefined, torchMs: number | undefined;
    // torch first, so every later engine of the preset gets its ratio
    for (const engine of [...engines.filter((e) => e === 'torch'), ...engines.filter((e) => e !== 'torch')]) {
      const m = engine === 'torch' ? torchMeasurement(python!, config, preset) : runChild(`${engine}:${preset}`);
      if (engine === 'tfjs') tfjsMs = m.medianMs;
      if (engine === 'torch') torchMs = m.medianMs;
      const gflops = flops / (m.medianMs / 1000) / 1e9;
      rows.push({
        preset,
        engine,
        msPerStep: round(m.medianMs),
        minMs: round(m.minMs),
        tokensPerSec: Math.round((B * T) / (m.medianMs / 1000)),
        gflops: round(gflops),
        ofPeak: round(gflops / gemm.gflops!, 3),
        peakRssMB: Math.round(m.peakRssMB),
        speedupVsTfjs: tfjsMs === undefined ? null : round(tfjsMs / m.medianMs),
        speedVsTorch: torchMs === undefined ? null : round(torchMs / m.medianMs, 2),
        loss: round(m.lastLoss, 4),
        steps: m.steps,
        flopsPerStep: flops,
        maskedRows: N,
        note: m.note,
      });
    }
  }
  if (opts.json) {
    process.stdout.write(
      JSON.stringify({ batch: B, seq: T, gemmPeakGflops: gemm.gflops, gemmNote: gemm.note, sgemm, torchSkipped, rows }, null, 2) + '\n',
    );
    return;
  }
  console.log(`batch ${B} x seq ${T}; GEMM peak (onnxruntime MatMul ${gemm.note}): ${round(gemm.gflops!)} GFLOP/s`);
  if (sgemm) {
    const g = sgemm.gemm as Record<string, { numpy: number; torch: number }>;
    console.log(
      `sgemm GFLOP/s (${sgemm.threads} threads, numpy BLAS: ${sgemm.numpyBlas}): ` +
        Object.entries(g)
          .map(([shape, v]) => `${shape}: numpy ${v.numpy}, torch ${v.torch}`)
          .join('; '),
    );
  }
  if (torchSkipped) console.log('torch: skipped (no python3 imports torch; on Debian: apt-get install python3-torch)');
  console.log('preset | engine    | ms/step (median) | min    | tokens/s | GFLOP/s | of peak | peak RSS MB | vs tfjs | vs torch');
  for (const r of rows) {
    console.log(
      [
        r.preset,
        String(r.engine).padEnd(9),
        String(r.msPerStep).padStart(16),
        String(r.minMs).padStart(6),
        String(r.tokensPerSec).padStart(8),
        String(r.gflops).padStart(7),
        String(r.ofPeak).padStart(7),
        String(r.peakRssMB).padStart(11),
        (r.speedupVsTfjs === null ? '-' : `${r.speedupVsTfjs}x`).padStart(7),
        r.speedVsTorch === null ? '-' : `${r.speedVsTorch}x`,
      ].join(' | '),
    );
  }
  for (const r of rows.filter((x) => x.engine === 'torch')) console.log(`${r.preset} PyTorch: ${r.note}`);
  console.log('"vs" columns: speed relative to that engine on the same preset (tokens/s ratio; > 1 is faster).');
  console.log(
    'matmul FLOPs per step: ' +
      presets.map((p) => `${p} ${round((rows.find((r) => r.preset === p)!.flopsPerStep as number) / 1e9)} G`).join(', '),
  );
}

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

await main();
