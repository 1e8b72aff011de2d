import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createTfjsEngine } from '../../../src/engine/tfjs.js';
import type { Engine } from '../../../src/engine/types.js';
import { runProbe } from '../../../src/run/probe/probe.js';
import { buildArtifact, decodeArtifact, encodeArtifact, type Artifact } from '../../../src/schedule/artifact.js';
import { compressTrace } from '../../../src/schedule/compress.js';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../../src/run/train/checkpoint.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { runTraining } from '../../../src/run/train/run.js';
import { stopRequest } from '../../../src/run/train/stop.js';
import type { StepRecord } from '../../../src/run/train/loop.js';
import { tinySetup } from './tiny.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-run-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const out = (name: string): string => path.join(tmp, name);

let base: Partial<RunOptions>;
let artifact: Artifact;
beforeAll(async () => {
  ({ base } = await tinySetup());
  const probe = await runProbe({ ...base, totalSteps: 100, probeSteps: 8, lr: 0.002 });
  artifact = decodeArtifact(encodeArtifact(buildArtifact({ trace: probe.trace, compressed: compressTrace(probe.trace) })));
});

/** Parameter bytes of the checkpoint in a run folder, names sorted. */
function checkpointBytes(dir: string): string {
  const { params } = loadCheckpoint(dir);
  return Object.keys(params)
    .sort()
    .map((n) => Buffer.from(params[n].data.buffer, params[n].data.byteOffset, params[n].data.byteLength).toString('hex'))
    .join('|');
}

describe('runTraining', () => {
  it('static SGD holds no optimizer state, and writes checkpoint, metrics, tokenizer and summary', async () => {
    const records: StepRecord[] = [];
    const s = await runTraining(
      { ...base, optimizer: 'static', schedule: artifact, steps: 6, evalEvery: 3, outDir: out('static') },
      {
        onStep: (r) => {
          records.push(r);
        },
      },
    );
    expect(s.optimizerStateBytes).toBe(0);
    expect(s.step).toBe(6);
    expect(s.heldout!.tokens).toBeGreaterThan(0);
    expect(s.ood!.tokens).toBeGreaterThan(0);
    expect(records.map((r) => r.eval !== undefined)).toEqual([false, false, true, false, false, true]);
    // The base schedule is the probe's (peak 0.002, warmup 5 of 100 steps) stretched to 6 steps:
    // warmup round(5 * 6 / 100) = 0 steps, then linear decay 0.002 * (1 - t / 6).
    records.forEach((r) => expect(r.lr).toBeCloseTo(0.002 * (1 - r.step / 6), 12));
    const lines = fs
      .readFileSync(path.join(out('static'), 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(JSON.parse(fs.readFileSync(path.join(out('static'), 'summary.json'), 'utf8')).optimizerStateBytes).toBe(0);
    expect(fs.readFileSync(path.join(out('static'), 'tokenizer.json'), 'utf8')).toContain('[MASK]');
    expect(loadCheckpoint(out('static')).step).toBe(6);
  });

  it('Adam holds two moments per parameter: 2 * 4 bytes * #params', async () => {
    const s = await runTraining({ ...base, optimizer: 'adam', steps: 2, evalEvery: 0 });
    expect(s.optimizerStateBytes).toBe(2 * 4 * s.paramCount);
    expect(s.outDir).toBeNull();
  });

  it('static with all multipliers 1 and scale 2 equals plain SGD at twice the rate, bit for bit', async () => {
    const ones: Artifact = {
      ...artifact,
      groups: Object.fromEntries(Object.entries(artifact.groups).map(([g, e]) => [g, { ...e, constant: 1, knots: undefined } as never])),
    };
    for (const k of Object.keys(ones.groups)) delete (ones.groups[k] as { knots?: unknown }).knots;
    await runTraining({
      ...base,
      optimizer: 'static',
      schedule: ones,
      scheduleScale: 2,
      lr: 0.05,
      warmup: 0.25,
      steps: 4,
      evalEvery: 0,
      outDir: out('ones'),
    });
    await runTraining({ ...base, optimizer: 'sgd', lr: 0.1, warmup: 0.25, steps: 4, evalEvery: 0, outDir: out('sgd') });
    // u = -eta(t) * (2 * g) vs -(2 eta(t)) * g: multiplying by 2 is exact in floating point.
    expect(checkpointBytes(out('ones'))).toBe(checkpointBytes(out('sgd')));
  });

  for (const [optimizer, engine] of [
    ['graft', 'tfjs'],
    ['static', 'tfjs'],
    ['adam', 'ort'],
  ] as const) {
    it(`${optimizer} on ${engine}: stopping at step 3 and resuming to 7 is bit-identical to 7 uninterrupted steps`, async () => {
      const opts = {
        ...base,
        engine,
        optimizer,
        schedule: optimizer === 'static' ? artifact : undefined,
        steps: 7,
        evalEvery: 0,
        checkpointEvery: 0,
      };
      await runTraining({ ...opts, outDir: out(`${optimizer}-${engine}-full`) });
      const stop = stopRequest();
      const first = await runTraining(
        { ...opts, outDir: out(`${optimizer}-${engine}-split`) },
        {
          onStep: (r) => {
            if (r.step === 2) stop.requestStop();
          },
          shouldStop: stop.shouldStop,
        },
      );
      expect(first).toMatchObject({ stopped: true, step: 3, heldout: null });
      expect(loadCheckpoint(out(`${optimizer}-${engine}-split`)).step).toBe(3);
      const second = await runTraining({ ...opts, outDir: out(`${optimizer}-${engine}-split`), resume: true });
      expect(second).toMatchObject({ stopped: false, step: 7, resumedFrom: 3 });
      expect(checkpointBytes(out(`${optimizer}-${engine}-split`))).toBe(checkpointBytes(out(`${optimizer}-${engine}-full`)));
      const steps = fs
        .readFileSync(path.join(out(`${optimizer}-${engine}-split`), 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).step);
      expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6]);
    });
  }

  it('the ort engine trains like the tfjs engine (same losses within float32 noise)', async () => {
    const losses = async (engine: 'tfjs' | 'ort') => {
      const seen: number[] = [];
      const s = await runTraining(
        { ...base, engine, optimizer: 'adam', lr: 0.01, steps: 5, evalEvery: 0 },
        {
          onStep: (r) => {
            seen.push(r.loss);
          },
        },
      );
      return { seen, heldout: s.heldout!.loss };
    };
    const [a, b] = [await losses('tfjs'), await losses('ort')];
    b.seen.forEach((l, i) => expect(Math.abs(l - a.seen[i])).toBeLessThan(1e-4));
    expect(Math.abs(b.heldout - a.heldout)).toBeLessThan(1e-4);
  });

  it('a NaN gradient stops the run naming step and parameter; the last good checkpoint stays', async () => {
    const nanEngine = (config: Parameters<typeof createTfjsEngine>[0]): Engine => {
      const inner = createTfjsEngine(config);
      return {
        ...inner,
        async lossAndGrads(p, b, step) {
          const r = await inner.lossAndGrads(p, b, step);
          if (step === 5) {
            const g = r.grads['encoder.layer.0.output.dense.bias'];
            r.grads['encoder.layer.0.output.dense.bias'] = tf.fill(g.shape, NaN);
            g.dispose();
          }
          return r;
        },
      };
    };
    const dir = out('nan');
    await expect(
      runTraining({ ...base, optimizer: 'sgd', steps: 8, evalEvery: 0, checkpointEvery: 2, engine: nanEngine, outDir: dir }),
    ).rejects.toThrow(
      /^train: step 5: non-finite gradient \(NaN or Infinity\) in encoder\.layer\.0\.output\.dense\.bias; .*the last good checkpoint \(step 4\) is in /,
    );
    expect(loadCheckpoint(dir).step).toBe(4);
  });

  it('refuses a mismatched artifact before reading any data', async () => {
    // The corpus does not exist: had data preparation started, that would be the error.
    await expect(
      runTraining({
        ...base,
        data: undefined,
        corpus: [path.join(tmp, 'missing.txt')],
        optimizer: 'static',
        schedule: artifact,
        configOverrides: { ...base.configOverrides, hiddenSize: 8 },
      }),
    ).rejects.toThrow(/^artifact was made for model fingerprint \S+, this model is \S+: re-run extract/);
  });

  it('refuses to overwrite or resume the wrong run', async () => {
    const dir = out('static'); // finished above: 6 static steps
    await expect(runTraining({ ...base, optimizer: 'static', schedule: artifact, steps: 6, outDir: dir })).rejects.toThrow(
      'already holds a checkpoint: pass --resume to continue it, or choose another --out',
    );
    await expect(runTraining({ ...base, optimizer: 'sgd', steps: 6, outDir: out('empty'), resume: true })).rejects.toThrow(
      'holds no checkpoint to resume: run without --resume',
    );
    await expect(runTraining({ ...base, optimizer: 'static', schedule: artifact, steps: 9, outDir: dir, resume: true })).rejects.toThrow(
      /was made with optimizer = .*this run has/,
    );
    await expect(
      runTraining({ ...base, optimizer: 'static', schedule: artifact, steps: 6, seed: 4, outDir: dir, resume: true }),
    ).rejects.toThrow('was made with seed = 3, this run has 4');
    // The peak learning rate and the schedule scale may change at a resume (src/run/train/resume.ts); the batch size may not.
    await expect(
      runTraining({ ...base, optimizer: 'static', schedule: artifact, steps: 6, batchSize: 2, outDir: dir, resume: true }),
    ).rejects.toThrow('was made with batchSize = 4, this run has 2');
    expect(fs.readdirSync(path.join(dir, 'checkpoint'))).toEqual([CHECKPOINT_FILE]);
  });

  it('validates options by name', async () => {
    await expect(runTraining({ ...base, optimizer: 'static' })).rejects.toThrow('optimizer "static" needs a schedule artifact');
    await expect(runTraining({ ...base, optimizer: 'adam', schedule: artifact })).rejects.toThrow('only used by optimizer "static"');
    await expect(runTraining({ ...base, optimizer: 'sgd', steps: 0 })).rejects.toThrow(
      'train: steps = 0 is invalid: expected an integer >= 1',
    );
    await expect(runTraining({ ...base, optimizer: 'sgd', batchSize: 0 })).rejects.toThrow('train: batchSize = 0 is invalid');
    await expect(runTraining({ ...base, optimizer: 'sgd', seqLen: 32 })).rejects.toThrow(
      "seqLen = 32 exceeds the model's maxPositions = 16",
    );
    await expect(runTraining({ ...base, optimizer: 'lion' as never })).rejects.toThrow(
      'optimizer = "lion" is invalid: expected one of static, sgd, adam, graft',
    );
    await expect(runTraining({ ...base, optimizer: 'sgd', resume: true })).rejects.toThrow('resume needs the run folder');
  });
});
