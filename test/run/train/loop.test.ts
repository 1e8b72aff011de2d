import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NonFiniteError, trainLoop, type LoopSnapshot, type StepRecord } from '../../../src/run/train/loop.js';
import { fromHost } from '../../../src/core/params.js';
import { fromHostTree } from '../../../src/run/train/state.js';
import { nanAt, paramBytes, toyAdam, toyBatch, toyEngine, toyParams, toySgd, useCpu, type ToyAdamState } from './toy.js';

beforeAll(useCpu);

describe('trainLoop', () => {
  it('one SGD step gives w - lr * g, with g from the engine at the initial weights', async () => {
    const engine = toyEngine();
    const init = toyParams(3);
    const { grads } = await engine.lossAndGrads(init, toyBatch(3, 0), 0);
    // Reference: w1 = fround(w0 + fround(-0.5 * g)) per entry (float32 arithmetic, as tfjs does).
    const expected: Record<string, Float32Array> = {};
    for (const n of Object.keys(init)) {
      const w = init[n].dataSync(),
        g = grads[n].dataSync();
      expected[n] = Float32Array.from(w, (x, i) => Math.fround(x + Math.fround(-0.5 * g[i])));
    }
    tf.dispose(Object.values(grads));
    const out = await trainLoop({ engine, params: init, optimizer: toySgd(0.5), batchAt: (t) => toyBatch(3, t), steps: 1 });
    for (const n of Object.keys(expected)) expect(Array.from(out.params[n].dataSync())).toEqual(Array.from(expected[n]));
    expect(out.step).toBe(1);
    expect(init['emb'].isDisposed).toBe(true); // the loop consumed the initial weights
    tf.dispose(Object.values(out.params));
  });

  it('keeps tf.memory().numTensors flat over steps, and records loss, lr, tokens', async () => {
    const counts: number[] = [];
    const records: StepRecord[] = [];
    const before = tf.memory().numTensors;
    const out = await trainLoop({
      engine: toyEngine(),
      params: toyParams(),
      optimizer: toyAdam(0.05),
      batchAt: (t) => toyBatch(1, t),
      steps: 30,
      lrAt: (t) => 0.05 * (t + 1),
      onStep: (r) => {
        records.push(r);
        counts.push(tf.memory().numTensors);
      },
    });
    // After every step the live tensors are the 3 params + 2 * 3 Adam moments (all made after `before`).
    expect(new Set(counts)).toEqual(new Set([before + 9]));
    expect(records.map((r) => r.step)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(records[4].lr).toBeCloseTo(0.25, 12);
    expect(records[0].tokens).toBe(8); // B * T = 2 * 4
    // Adam at lr 0.05 learns the map x -> 3x+1 mod 12: the loss falls well below ln(12) = 2.48.
    expect(records[29].loss).toBeLessThan(records[0].loss - 0.5);
    tf.dispose(Object.values(out.params));
    tf.dispose([...Object.values(out.optimizerState.m), ...Object.values(out.optimizerState.v)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops cleanly after the current step when asked, and a snapshot resumes bit-identically', async () => {
    const engine = toyEngine();
    const full = await trainLoop({ engine, params: toyParams(), optimizer: toyAdam(0.05), batchAt: (t) => toyBatch(2, t), steps: 7 });
    const snaps: LoopSnapshot[] = [];
    let stop = false;
    const first = await trainLoop({
      engine,
      params: toyParams(),
      optimizer: toyAdam(0.05),
      batchAt: (t) => toyBatch(2, t),
      steps: 7,
      onStep: (r) => {
        if (r.step === 2) stop = true;
      },
      shouldStop: () => stop,
      onCheckpoint: (s) => {
        snaps.push(s);
      },
    });
    expect(first.stopped).toBe(true);
    expect(first.step).toBe(3);
    expect(snaps.map((s) => [s.step, s.reason])).toEqual([[3, 'stop']]);
    const resumed = await trainLoop({
      engine,
      params: fromHost(snaps[0].params),
      optimizer: toyAdam(0.05),
      optimizerState: fromHostTree(snaps[0].optimizerState) as ToyAdamState,
      batchAt: (t) => toyBatch(2, t),
      startStep: 3,
      steps: 7,
    });
    expect(resumed.optimizerState.count).toBe(7);
    expect(paramBytes(resumed.params)).toBe(paramBytes(full.params));
    tf.dispose(
      [first, full, resumed].flatMap((r) => [
        ...Object.values(r.params),
        ...Object.values(r.optimizerState.m),
        ...Object.values(r.optimizerState.v),
      ]),
    );
  });

  it('takes periodic snapshots and a final one', async () => {
    const steps: [number, string][] = [];
    const out = await trainLoop({
      engine: toyEngine(),
      params: toyParams(),
      optimizer: toySgd(0.1),
      batchAt: (t) => toyBatch(1, t),
      steps: 7,
      checkpointEvery: 3,
      onCheckpoint: (s) => {
        steps.push([s.step, s.reason]);
      },
    });
    expect(steps).toEqual([
      [3, 'periodic'],
      [6, 'periodic'],
      [7, 'final'],
    ]);
    tf.dispose(Object.values(out.params));
  });

  it('evaluates every evalEvery steps and attaches the metrics to that step record', async () => {
    const engine = toyEngine();
    const records: StepRecord[] = [];
    const held = [toyBatch(99, 0)];
    const out = await trainLoop({
      engine,
      params: toyParams(),
      optimizer: toySgd(0.1),
      batchAt: (t) => toyBatch(1, t),
      steps: 4,
      evalEvery: 2,
      evaluate: async (p) => ({ heldoutLoss: (await engine.evaluate(p, held)).loss }),
      onStep: (r) => {
        records.push(r);
      },
    });
    expect(records.map((r) => r.eval !== undefined)).toEqual([false, true, false, true]);
    // The last evaluation saw the final weights: recompute it independently.
    expect(records[3].eval!.heldoutLoss).toBe((await engine.evaluate(out.params, held)).loss);
    tf.dispose(Object.values(out.params));
  });

  it('stops on a NaN gradient naming the step and parameter, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const snaps: number[] = [];
    const run = trainLoop({
      engine: nanAt(toyEngine(), 4, 'kernel'),
      params: toyParams(),
      optimizer: toyAdam(0.05),
      batchAt: (t) => toyBatch(1, t),
      steps: 10,
      checkpointEvery: 2,
      onCheckpoint: (s) => {
        snaps.push(s.step);
      },
    });
    await expect(run).rejects.toThrow(/^step 4: non-finite gradient \(NaN or Infinity\) in kernel;/);
    await expect(run).rejects.toBeInstanceOf(NonFiniteError);
    expect(snaps).toEqual([2, 4]); // steps 0-3 completed; step 4 was refused before its update
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops on a non-finite loss', async () => {
    const engine = toyEngine();
    const bad = {
      ...engine,
      lossAndGrads: async (...a: Parameters<typeof engine.lossAndGrads>) => ({ ...(await engine.lossAndGrads(...a)), loss: Infinity }),
    };
    await expect(
      trainLoop({ engine: bad, params: toyParams(), optimizer: toySgd(0.1), batchAt: (t) => toyBatch(1, t), steps: 3 }),
    ).rejects.toThrow('step 0: the loss is Infinity');
  });

  it('refuses bad options with the value named', async () => {
    await expect(
      trainLoop({
        engine: toyEngine(),
        params: toyParams(),
        optimizer: toySgd(0.1),
        batchAt: (t) => toyBatch(1, t),
        steps: 3,
        startStep: 5,
      }),
    ).rejects.toThrow('startStep = 5 is past steps = 3');
  });
});
