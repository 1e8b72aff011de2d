/**
 * A run with a factored schedule starts from the weights the schedule's probe started from (its per-unit factors
 * describe those): by default, whatever --seed sets for data order and masking; --init-seed chooses others, with
 * one line saying the factors then describe other weights. Unit checks of the rule, then tiny real runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTraining, type TrainSummary } from '../../../src/run/train/run.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { scheduleInitSeed, startSeed } from '../../../src/run/train/start-weights.js';
import type { Artifact } from '../../../src/schedule/artifact.js';
import { presetConfig, type BertConfig } from '../../../src/model/config.js';
import { tinyExtractedArtifact, tinySetup } from './tiny.js';

/** Just the fields the rule reads. */
function fakeArtifact(o: { seed: number; initStd?: number; preconditioner?: boolean; proxy?: boolean }): Artifact {
  return {
    model: { config: { initStd: o.initStd ?? 0.02 } },
    probe: { seed: o.seed, ...(o.proxy ? { proxy: { numLayers: 1, layerMap: [0, 0], fingerprint: 'x' } } : {}) },
    ...(o.preconditioner === false ? {} : { preconditioner: { kind: 'factored' } }),
  } as unknown as Artifact;
}

describe('which weights a run with a schedule starts from (the rule)', () => {
  const config: BertConfig = presetConfig('tiny', { vocabSize: 64 });

  it("is the probe's seed for a factored schedule of a model that initialises the same way; undefined otherwise", () => {
    expect(scheduleInitSeed(fakeArtifact({ seed: 4 }), config)).toBe(4);
    expect(scheduleInitSeed(undefined, config)).toBeUndefined();
    expect(scheduleInitSeed(fakeArtifact({ seed: 4, preconditioner: false }), config)).toBeUndefined();
    expect(scheduleInitSeed(fakeArtifact({ seed: 4, proxy: true }), config)).toBeUndefined();
    expect(scheduleInitSeed(fakeArtifact({ seed: 4, initStd: 0.05 }), config)).toBeUndefined();
  });

  it('defaults to the probe seed, says so when --seed differs, and warns when --init-seed or weights choose another start', () => {
    const a = fakeArtifact({ seed: 0 });
    expect(startSeed({ seed: 0 }, a, config)).toEqual({ seed: 0 });
    expect(startSeed({ seed: 0, initSeed: 0 }, a, config)).toEqual({ seed: 0 });
    expect(startSeed({ seed: 2, initSeed: 0 }, a, config)).toEqual({ seed: 0 });

    const byDefault = startSeed({ seed: 2 }, a, config);
    expect(byDefault.seed).toBe(0);
    expect(byDefault.notice).toBe(
      "train: starting from the seed-0 initialisation the schedule was probed from (the schedule's per-unit preconditioner " +
        "factors describe those weights); --seed 2 sets data order and masking; --init-seed 2 would start from seed 2's weights instead",
    );

    const chosen = startSeed({ seed: 2, initSeed: 5 }, a, config);
    expect(chosen.seed).toBe(5);
    expect(chosen.notice).toMatch(
      /^note: the schedule was probed from the seed-0 initialisation and this run starts from seed 5's: .* --init-seed 0 starts/,
    );

    const weights = startSeed({ seed: 2, fromWeights: 'model.onnx' }, a, config);
    expect(weights.notice).toMatch(/^note: this run starts from model\.onnx, not from the seed-0 initialisation/);

    // no per-unit factors: --init-seed, else --seed, and nothing to say
    const plain = fakeArtifact({ seed: 0, preconditioner: false });
    expect(startSeed({ seed: 2 }, plain, config)).toEqual({ seed: 2 });
    expect(startSeed({ seed: 2, initSeed: 7 }, plain, config)).toEqual({ seed: 7 });
    expect(startSeed({ seed: 2 }, undefined, config)).toEqual({ seed: 2 });
  });
});

describe('train with a factored schedule probed from another seed (tiny real runs)', () => {
  let base: Partial<RunOptions>;
  let artifact: Artifact;
  beforeAll(async () => {
    ({ base } = await tinySetup());
    artifact = await tinyExtractedArtifact(base); // through the file format
  }, 120_000);

  /** One static step: the summary, the first loss and the notices. */
  async function oneStep(extra: { seed: number; initSeed?: number; outDir?: string }) {
    const notices: string[] = [];
    let firstLoss = NaN;
    const summary: TrainSummary = await runTraining(
      { ...base, preset: 'tiny', optimizer: 'static', schedule: artifact, steps: 1, evalEvery: 0, ...extra },
      { onNotice: (m) => void notices.push(m), onStep: (r) => void (firstLoss = r.loss) },
    );
    return { summary, firstLoss, notices };
  }

  it("starts from the probe's weights by default, records it, and --init-seed starts from the run's own", async () => {
    const probeSeed = artifact.probe.seed;
    expect(artifact.preconditioner).toBeDefined();
    const other = probeSeed + 1;
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-start-'));
    const byDefault = await oneStep({ seed: other, outDir });
    const explicit = await oneStep({ seed: other, initSeed: probeSeed });
    const own = await oneStep({ seed: other, initSeed: other });

    expect(byDefault.summary.initSeed).toBe(probeSeed);
    expect(JSON.parse(fs.readFileSync(path.join(outDir, 'summary.json'), 'utf8')).initSeed).toBe(probeSeed);
    expect(byDefault.notices.filter((n) => n.startsWith('train: starting from the seed-'))).toHaveLength(1);
    // the same batch (seed `other`) from the same weights: the same first loss; from seed `other`'s weights another
    expect(byDefault.firstLoss).toBe(explicit.firstLoss);
    expect(explicit.notices).toEqual([]);
    expect(own.summary.initSeed).toBe(other);
    expect(own.firstLoss).not.toBe(byDefault.firstLoss);
    expect(own.notices.filter((n) => n.startsWith('note: the schedule was probed from the seed-'))).toHaveLength(1);
  }, 120_000);

  it("says nothing on the probe's own seed", async () => {
    const { summary, notices } = await oneStep({ seed: artifact.probe.seed });
    expect(summary.initSeed).toBe(artifact.probe.seed);
    expect(notices).toEqual([]);
  }, 60_000);
});
