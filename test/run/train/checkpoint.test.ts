import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_FILE,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type Checkpoint,
} from '../../../src/run/train/checkpoint.js';
import { trainLoop, type LoopSnapshot } from '../../../src/run/train/loop.js';
import { fromHost } from '../../../src/core/params.js';
import { fromHostTree, toHostTree } from '../../../src/run/train/state.js';
import { nanAt, paramBytes, toyAdam, toyBatch, toyConfig, toyEngine, toyParams, useCpu, type ToyAdamState } from './toy.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-ckpt-'));
beforeAll(useCpu);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SEED = 5;
const optimizer = toyAdam(0.05);

function toCheckpoint(s: LoopSnapshot): Checkpoint {
  return {
    step: s.step,
    createdAt: '2024-01-01T00:00:00Z',
    model: { config: toyConfig, preset: 'toy' },
    optimizer: optimizer.spec,
    run: { steps: 9, batchSize: 2 },
    dataFingerprint: 'data-1',
    seed: SEED,
    backend: 'cpu',
    engine: 'tfjs',
    params: s.params,
    optimizerState: s.optimizerState,
  };
}

/** Trains steps startStep..8, saving a checkpoint into `dir` whenever the loop offers a snapshot. */
async function run(dir: string, o: { from?: Checkpoint; every?: number; engine?: ReturnType<typeof toyEngine> } = {}) {
  return trainLoop({
    engine: o.engine ?? toyEngine(),
    params: o.from ? fromHost(o.from.params) : toyParams(SEED),
    optimizerState: o.from ? (fromHostTree(o.from.optimizerState) as ToyAdamState) : undefined,
    optimizer,
    batchAt: (t) => toyBatch(SEED, t),
    startStep: o.from?.step ?? 0,
    steps: 9,
    checkpointEvery: o.every ?? 3,
    onCheckpoint: (s) => {
      saveCheckpoint(dir, toCheckpoint(s));
    },
  });
}

function disposeRun(r: Awaited<ReturnType<typeof run>>): void {
  tf.dispose([...Object.values(r.params), ...Object.values(r.optimizerState.m), ...Object.values(r.optimizerState.v)]);
}

describe('checkpoint files', () => {
  it('round-trips params and a nested state with f32, i32 and bool tensors bit-exactly', () => {
    const w = tf.tensor([1.5, -0.1, 3.4028234663852886e38, 1e-45], [2, 2]); // includes the float32 max and a denormal
    const state = {
      m: { w: tf.tensor([0.1, 0.2, 0.3], [3]) },
      count: tf.scalar(7, 'int32'),
      mask: tf.tensor([true, false], [2], 'bool'),
      norms: { w: { ratio: null, valid: false, magnitude: 0.25 } },
      list: [1, 'two', [3.5]],
      beta: 0.999 ** 3,
    };
    const c = toCheckpoint({
      step: 4,
      params: { w: { shape: [2, 2], data: Float32Array.from(w.dataSync()) } },
      optimizerState: toHostTree(state),
      reason: 'periodic',
    });
    const back = decodeCheckpoint(encodeCheckpoint(c));
    expect(back.step).toBe(4);
    expect(back.model.config).toEqual(toyConfig);
    expect(Array.from(back.params.w.data)).toEqual(Array.from(w.dataSync()));
    const s = fromHostTree(back.optimizerState) as typeof state;
    expect(Array.from(s.m.w.dataSync())).toEqual(Array.from(state.m.w.dataSync()));
    expect(s.count.dtype).toBe('int32');
    expect(s.count.dataSync()[0]).toBe(7);
    expect(s.mask.dtype).toBe('bool');
    expect(Array.from(s.mask.dataSync())).toEqual([1, 0]);
    expect(s.norms).toEqual({ w: { ratio: null, valid: false, magnitude: 0.25 } });
    expect(s.list).toEqual([1, 'two', [3.5]]);
    expect(s.beta).toBe(0.999 ** 3); // a float64 number survives exactly
    tf.dispose([w, state.m.w, state.count, state.mask, s.m.w, s.count, s.mask]);
  });

  it('resuming from a checkpoint gives parameters bit-identical to an uninterrupted run', async () => {
    const full = await run(path.join(tmp, 'full'));
    // An interrupted run: the process "dies" at step 5 (after the checkpoint at step 3).
    const dir = path.join(tmp, 'interrupted');
    const crashing = toyEngine();
    const engine = {
      ...crashing,
      lossAndGrads: async (...a: Parameters<typeof crashing.lossAndGrads>) => {
        if (a[2] === 5) throw new Error('killed');
        return crashing.lossAndGrads(...a);
      },
    };
    await expect(run(dir, { engine })).rejects.toThrow('killed');
    const ckpt = loadCheckpoint(dir);
    expect(ckpt.step).toBe(3);
    const resumed = await run(dir, { from: ckpt });
    expect(paramBytes(resumed.params)).toBe(paramBytes(full.params));
    expect(paramBytes(resumed.optimizerState.m)).toBe(paramBytes(full.optimizerState.m));
    expect(loadCheckpoint(dir).step).toBe(9); // the final snapshot
    expect(fs.readdirSync(dir)).toEqual([CHECKPOINT_FILE]); // no temporary files left behind
    disposeRun(full);
    disposeRun(resumed);
  });

  it('a NaN gradient stops the run and the last good checkpoint stays loadable', async () => {
    const dir = path.join(tmp, 'nan');
    await expect(run(dir, { engine: nanAt(toyEngine(), 7, 'emb'), every: 2 })).rejects.toThrow(/^step 7: non-finite gradient .* in emb;/);
    const ckpt = loadCheckpoint(dir);
    expect(ckpt.step).toBe(6);
    const finite = Object.values(ckpt.params).every((p) => p.data.every(Number.isFinite));
    expect(finite).toBe(true);
  });

  describe('refuses damaged or mismatched checkpoints', () => {
    const dir = path.join(tmp, 'refuse');
    const good = (): Uint8Array => fs.readFileSync(path.join(dir, CHECKPOINT_FILE));
    const write = (name: string, bytes: Uint8Array): string => {
      const d = path.join(tmp, name);
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, CHECKPOINT_FILE), bytes);
      return d;
    };
    beforeAll(async () => disposeRun(await run(dir, { every: 100 })));

    it('truncated', () => {
      const bytes = good();
      expect(() => loadCheckpoint(write('trunc', bytes.subarray(0, bytes.length - 100)))).toThrow(
        /^checkpoint \S+ is not readable msgpack \(truncated or corrupted: .+\): delete it/,
      );
    });
    it('one bit flipped inside the payload', () => {
      const bytes = Uint8Array.from(good());
      bytes[bytes.length - 50] ^= 0x04;
      expect(() => loadCheckpoint(write('flip', bytes))).toThrow(
        /^checkpoint \S+ checksum mismatch \(stored [0-9a-f]{12}, computed [0-9a-f]{12}\): the file is corrupted; delete it/,
      );
    });
    it('another format or version', () => {
      const packr = new Packr({ useRecords: false });
      expect(() => loadCheckpoint(write('fmt', packr.pack({ format: 'graftlr.schedule', version: 1 })))).toThrow(
        'expected format "graftlr.checkpoint" but its format is "graftlr.schedule": pass a file written by graftlr',
      );
      expect(() => loadCheckpoint(write('ver', packr.pack({ format: 'graftlr.checkpoint', version: 2 })))).toThrow(
        'version 2 was made by a newer graftlr (this one reads version 1): upgrade graftlr',
      );
    });
    it('missing', () => {
      expect(() => loadCheckpoint(path.join(tmp, 'nowhere'))).toThrow(
        /checkpoint not found: .*nowhere.*checkpoint.msgpack: check the path/,
      );
    });
    it('another model, preset, optimizer, seed, data or run length', () => {
      expect(() => loadCheckpoint(dir, { config: { ...toyConfig, hiddenSize: 8 } })).toThrow(
        'was made with model hiddenSize = 4, this run has 8',
      );
      expect(() => loadCheckpoint(dir, { preset: 'tiny' })).toThrow('was made with preset = "toy", this run has "tiny"');
      expect(() => loadCheckpoint(dir, { optimizer: toyAdam(0.01).spec })).toThrow(
        /was made with optimizer = .*"lr":0.05.*this run has .*"lr":0.01/,
      );
      expect(() => loadCheckpoint(dir, { seed: 6 })).toThrow('was made with seed = 5, this run has 6');
      expect(() => loadCheckpoint(dir, { dataFingerprint: 'other' })).toThrow('was made with data fingerprint = "data-1"');
      expect(() => loadCheckpoint(dir, { run: { steps: 20 } })).toThrow('was made with steps = 9, this run has 20');
      // The matching expectation passes, and a run folder holding checkpoint/ is accepted too.
      expect(loadCheckpoint(dir, { config: toyConfig, preset: 'toy', optimizer: optimizer.spec, seed: 5, run: { steps: 9 } }).step).toBe(9);
      const runDir = path.join(tmp, 'run-folder');
      fs.mkdirSync(path.join(runDir, 'checkpoint'), { recursive: true });
      fs.copyFileSync(path.join(dir, CHECKPOINT_FILE), path.join(runDir, 'checkpoint', CHECKPOINT_FILE));
      expect(loadCheckpoint(runDir).step).toBe(9);
    });
  });
});
