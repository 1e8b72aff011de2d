/**
 * The hybrid reference optimizer: Adam state for LayerNorm gamma/beta and biases only (bytes and share
 * counted by hand for a 1-layer H = 16 model), and every other tensor updated exactly as by static.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatSummary } from '../../../src/cli/train.js';
import { paramShapes, initParams } from '../../../src/model/bert.js';
import { presetConfig } from '../../../src/model/config.js';
import { disposeState } from '../../../src/optim/state.js';
import { runProbe } from '../../../src/run/probe/probe.js';
import { buildArtifact, decodeArtifact, encodeArtifact, type Artifact } from '../../../src/schedule/artifact.js';
import { compressTrace } from '../../../src/schedule/compress.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { statefulParamCount } from '../../../src/run/train/hybrid.js';
import { isVectorParam } from '../../../src/run/train/train-options.js';
import { trainBaseSchedule, trainOptimizer, trainScheduleRule } from '../../../src/run/train/optimizers.js';
import { runTraining } from '../../../src/run/train/run.js';
import { validateTrainOptions } from '../../../src/run/train/train-options.js';
import { tinySetup } from './tiny.js';

let base: Partial<RunOptions>;
let artifact: Artifact;
beforeAll(async () => {
  ({ base } = await tinySetup());
  const probe = await runProbe({ ...base, totalSteps: 100, probeSteps: 8, lr: 0.002 });
  artifact = decodeArtifact(
    encodeArtifact(buildArtifact({ trace: probe.trace, compressed: compressTrace(probe.trace, { target: 'stepNorm' }) })),
  );
});

// The tiny setup's model: H = 16, L = 1, I = 32, V = 64, P = 16, typeVocab 2.
// State-carrying parameters: per layer 4 attention biases (4H) + 2 LayerNorms (4H) + output bias (H) + intermediate
// bias (I) = 9H + I = 176; embeddings LayerNorm 2H = 32; MLM head transform bias H + LayerNorm 2H + output bias V = 112.
// Total 176 + 32 + 112 = 320. All parameters: embeddings V*H + P*H + 2H + 2H = 1024 + 256 + 32 + 32 = 1344; layer
// 4(H*H + H) + 2H + (H*I + I) + (I*H + H) + 2H = 1088 + 32 + 544 + 528 + 32 = 2224; head H*H + H + 2H + V = 368: 3936.
const STATEFUL = 320;
const PARAMS = 3936;

describe('hybrid optimizer', () => {
  it('keeps Adam state (2 x 4 bytes) for LayerNorm and bias tensors only, and says which share of parameters carry it', async () => {
    const s = await runTraining({
      ...base,
      optimizer: 'hybrid',
      schedule: artifact,
      scheduleScale: 4,
      hybridAdamLr: 2e-3,
      steps: 2,
      evalEvery: 0,
    });
    expect(s.paramCount).toBe(PARAMS);
    expect(s.statefulParams).toBe(STATEFUL);
    expect(s.optimizerStateBytes).toBe(8 * STATEFUL); // 2560
    expect(Number.isFinite(s.heldout!.loss)).toBe(true);
    // 320 / 3936 = 0.0813
    expect(formatSummary(s)).toContain('optimizer state         2,560 bytes (8.1% of 3,936 parameters carry state)');
  });

  it('counts stateful parameters per optimizer', () => {
    const shapes = { 'a.kernel': [3, 4], 'a.bias': [4], 'ln.gamma': [4], 'ln.beta': [4], 'emb.word_embeddings': [5, 4] };
    expect(statefulParamCount('hybrid', shapes)).toBe(12);
    expect(statefulParamCount('adam', shapes)).toBe(12 + 4 + 4 + 4 + 20);
    expect(statefulParamCount('static', shapes)).toBe(0);
    expect(isVectorParam('cls.predictions.bias')).toBe(true);
    expect(isVectorParam('embeddings.word_embeddings')).toBe(false);
  });

  it('updates every other tensor exactly as static, and the Adam tensors by Adam at eta(t) * a / eta_peak', () => {
    const config = {
      ...presetConfig('tiny'),
      vocabSize: 64,
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      intermediateSize: 32,
      maxPositions: 16,
    };
    const common = { ...base, schedule: artifact, scheduleScale: 4, steps: 10 };
    const oStatic = validateTrainOptions({ ...common, optimizer: 'static' });
    const oHybrid = validateTrainOptions({ ...common, optimizer: 'hybrid', hybridAdamLr: 3e-3 });
    const staticRule = trainScheduleRule(oStatic, artifact),
      hybridRule = trainScheduleRule(oHybrid, artifact);
    const eta = trainBaseSchedule(oHybrid, hybridRule);
    const stat = trainOptimizer(oStatic, trainBaseSchedule(oStatic, staticRule), staticRule);
    const hyb = trainOptimizer(oHybrid, eta, hybridRule);
    const params = initParams(config, 1);
    let sState = stat.init(params);
    let hState = hyb.init(params);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      const grads = tf.tidy(() =>
        Object.fromEntries(
          Object.entries(paramShapes(config)).map(([n, shape], i) => [
            n,
            tf.randomNormal(shape as number[], 0, 0.01 * (i + 1), 'float32', 100 * step + i),
          ]),
        ),
      );
      const [uS, sNext] = stat.update(grads, sState, params);
      const [uH, hNext] = hyb.update(grads, hState, params);
      disposeState(sState);
      disposeState(hState);
      sState = sNext;
      hState = hNext;
      for (const n of Object.keys(grads)) {
        if (!isVectorParam(n)) {
          expect(Array.from(uH[n].dataSync()), n).toEqual(Array.from(uS[n].dataSync())); // bit for bit
        } else if (step === 0) {
          // Adam's first step: mhat = g, vhat = g^2, so u = -lr_0 * g / (|g| + eps), lr_0 = eta(0) * 3e-3 / eta_peak.
          const lr0 = (eta(0) * 3e-3) / (eta.spec as { peakLr: number }).peakLr;
          const g = grads[n].dataSync();
          const want = Array.from(g, (x) => (-lr0 * x) / (Math.abs(x) + 1e-8));
          const got = uH[n].dataSync();
          want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThan(1e-6 * Math.abs(w) + 1e-12)); // float32 rounding
        }
      }
      for (const u of [...Object.values(uS), ...Object.values(uH), ...Object.values(grads)]) u.dispose();
    }
    // Per step nothing leaks: only the Adam state tensors, replaced in place, remain.
    expect(tf.memory().numTensors).toBe(before);
    disposeState(sState);
    disposeState(hState);
  });
});
