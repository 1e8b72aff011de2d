import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTfjsEngine } from '../../../src/engine/tfjs.js';
import { initParams, paramShapes } from '../../../src/model/bert.js';
import { runProbe, validateProbeOptions } from '../../../src/run/probe/probe.js';
import { runBatches, runConfig } from '../../../src/run/train/setup.js';
import { validateRunOptions, type RunOptions } from '../../../src/run/train/options.js';
import { modelFingerprint } from '../../../src/schedule/model-info.js';
import { tinySetup } from '../train/tiny.js';

let base: Partial<RunOptions>;
beforeAll(async () => {
  ({ base } = await tinySetup());
});

describe('runProbe', () => {
  it("records every group of the real model; step 0 matches Adam's first-step closed form", async () => {
    const result = await runProbe({ ...base, totalSteps: 60, probeSteps: 6, recordEvery: 2, lr: 0.002, warmup: 0.1 });
    const { trace } = result;
    const shapes = paramShapes(result.config);
    expect(trace.meta.model.fingerprint).toBe(modelFingerprint(shapes));
    expect(trace.meta.model.groups.map((g) => g.name)).toEqual(Object.keys(shapes).sort());
    expect(Array.from(trace.steps)).toEqual([0, 2, 4]);
    expect(trace.meta.probe).toMatchObject({ steps: 6, totalSteps: 60, batchSize: 4, seqLen: 16, seed: 3, grouping: 'tensor' });
    expect(trace.meta.probe.baseSchedule).toMatchObject({ kind: 'base', peakLr: 0.002, warmupSteps: 6, totalSteps: 60 });

    // Independent gradient at step 0: same init (seed 3) and the same first batch.
    const o = validateRunOptions('test', base);
    const config = runConfig(o, 'test');
    const params = initParams(config, 3);
    const { grads } = await createTfjsEngine(config).lossAndGrads(params, runBatches(o, o.data!)(0), 0);
    const eta0 = (0.002 * 1) / 6;
    let checked = 0;
    trace.meta.model.groups.forEach((g, i) => {
      const values = grads[g.name].dataSync();
      let nnz = 0,
        sq = 0,
        minAbs = Infinity;
      for (const v of values)
        if (v !== 0) {
          nnz++;
          sq += v * v;
          minAbs = Math.min(minAbs, Math.abs(v));
        }
      // u_i = -eta0 g_i / (|g_i| + 1e-8): within 1e-3 of eta0 sign(g_i) when every |g_i| > 1e-5.
      if (minAbs < 1e-5) return;
      checked++;
      expect(trace.uAdamNorm[i] / (eta0 * Math.sqrt(nnz))).toBeCloseTo(1, 3);
      expect(trace.c[i] / (Math.sqrt(nnz) / Math.sqrt(sq))).toBeCloseTo(1, 3);
    });
    expect(checked).toBeGreaterThan(10);
    tf.dispose([...Object.values(grads), ...Object.values(params)]);
    expect(result.stopped).toBe(false);
    expect(result.msPerStepMedian).toBeGreaterThan(0);
    expect(result.tokenizerJson).toContain('"WordPiece"');
  });

  it('defaults the probe to 10% of totalSteps and refuses bad options by name', () => {
    expect(validateProbeOptions({ ...base, totalSteps: 250 }).probeSteps).toBe(25);
    expect(() => validateProbeOptions({ ...base, totalSteps: 10, probeSteps: 11 })).toThrow(
      'extract: probeSteps = 11 is invalid: expected an integer in [1, 10]',
    );
    expect(() => validateProbeOptions({ ...base, warmup: 1 })).toThrow('extract: warmup = 1 is invalid');
    expect(() => validateProbeOptions({ ...base, decay: 'step' as never })).toThrow(
      'extract: decay = "step" is invalid: expected one of linear, cosine, constant, inverse-sqrt',
    );
  });

  it('groups by parameter type when asked', async () => {
    const { trace } = await runProbe({ ...base, totalSteps: 20, probeSteps: 2, grouping: 'type' });
    expect(trace.meta.probe.grouping).toBe('type');
    // The 1-layer model has every type: 9 groups in order of their first (sorted) parameter.
    expect(trace.meta.model.groups.map((g) => g.name)).toEqual([
      'bias',
      'layernorm',
      'head.kernel',
      'embedding',
      'attention.out.kernel',
      'attention.qk.kernel',
      'attention.v.kernel',
      'ffn.in.kernel',
      'ffn.out.kernel',
    ]);
    expect(Array.from(trace.valid)).toEqual(new Array(18).fill(1));
    await expect(runProbe({ ...base, grouping: 'row' as never })).rejects.toThrow(
      'extract: grouping = "row" is invalid: expected one of tensor, block, type, global',
    );
  });

  it('stops early on request with the samples so far', async () => {
    let n = 0;
    const result = await runProbe({ ...base, totalSteps: 50, probeSteps: 10 }, { shouldStop: () => ++n >= 3 });
    expect(result.stopped).toBe(true);
    expect(result.steps).toBe(3);
    expect(Array.from(result.trace.steps)).toEqual([0, 1, 2]);
    expect(result.trace.meta.probe.steps).toBe(3);
    expect(result.trace.stability).toBeUndefined(); // a stopped probe skips the stability limits
  });
});
