/**
 * Train runs what the artifact says: the per-group step lengths that training applies, on the fused ort
 * path and on the generic tfjs path, equal rate(G, t) of the schedule rule and the rate an outside trainer
 * reads from export-schedule --total-steps (base(t) * scale * m_G(t)).
 *
 * With a step-norm artifact (no preconditioner, no weight decay) each group's update is
 * -rate(G, t) g[G] / ||g[G]||, so ||w_{t+1}[G] - w_t[G]|| = rate(G, t) whatever the gradient.
 *
 * The probe plans T = 40 steps with W = 23 warmup steps and the run has S = 100 steps: the stretched warmup
 * is round(W S / T) = round(57.5) = 58 steps (round((W / T) S) would give 57, as train once did).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initValues } from '../../../src/model/init.js';
import { scheduleFromSpec } from '../../../src/optim/schedule-spec.js';
import type { HostParams } from '../../../src/core/params.js';
import { runProbe } from '../../../src/run/probe/probe.js';
import { buildArtifact, decodeArtifact, encodeArtifact, type Artifact } from '../../../src/schedule/artifact.js';
import { compressTrace } from '../../../src/schedule/compress.js';
import { exportScheduleJson } from '../../../src/schedule/export.js';
import { multiplierAt } from '../../../src/schedule/interpolate.js';
import { scheduleRule } from '../../../src/schedule/rule.js';
import { loadCheckpoint } from '../../../src/run/train/checkpoint.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { trainBaseSchedule, trainScheduleRule } from '../../../src/run/train/optimizers.js';
import { runTraining } from '../../../src/run/train/run.js';
import { runConfig } from '../../../src/run/train/setup.js';
import { validateTrainOptions, type TrainOptions } from '../../../src/run/train/train-options.js';
import { tinySetup } from './tiny.js';

const S = 100,
  SCALE = 4;
let base: Partial<RunOptions>;
let artifact: Artifact;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-rule-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  ({ base } = await tinySetup());
  const probe = await runProbe({ ...base, totalSteps: 40, warmup: 23 / 40, probeSteps: 6, lr: 0.01, grouping: 'block' });
  const compressed = compressTrace(probe.trace, { target: 'stepNorm' });
  artifact = decodeArtifact(encodeArtifact(buildArtifact({ trace: probe.trace, compressed })));
}, 60_000);

describe('the schedule rule', () => {
  it('stretches T = 40, W = 23 to S = 100 as export-schedule --total-steps does: 58 warmup steps', () => {
    expect(artifact.probe.baseSchedule).toMatchObject({ totalSteps: 40, warmupSteps: 23 });
    const o = validateTrainOptions({ ...base, optimizer: 'static', schedule: artifact, steps: S });
    const trained = trainBaseSchedule(o, trainScheduleRule(o, artifact)).spec;
    const exported = exportScheduleJson(artifact, S).baseSchedule;
    expect(exported).toMatchObject({ totalSteps: S, warmupSteps: 58 });
    expect(trained).toEqual(exported);
  });

  it('refuses a multiplier-target artifact that carries a preconditioner', () => {
    const { compression } = artifact;
    const bad = {
      ...artifact,
      compression: { ...compression, options: { ...compression.options, target: 'multiplier' as const } },
      preconditioner: { kind: 'factored' as const, epsRatio: 0.01, step: 1, beta2: 0.999, params: {} },
    };
    expect(() => scheduleRule(bad, { totalSteps: S })).toThrow('its target is not "stepNorm"');
  });
});

/** ||a[G] - b[G]|| per group of the artifact. */
function groupStepNorms(a: HostParams, b: HostParams): Map<string, number> {
  const squares = new Map<string, number>();
  for (const p of artifact.model.params) {
    let sum = squares.get(p.group) ?? 0;
    const x = a[p.name].data,
      y = b[p.name].data;
    for (let i = 0; i < x.length; i++) sum += (x[i] - y[i]) ** 2;
    squares.set(p.group, sum);
  }
  return new Map([...squares].map(([g, s]) => [g, Math.sqrt(s)]));
}

/** The parameters after `steps` steps of a run of S steps (stopped there; its checkpoint holds them). */
async function paramsAfter(o: Partial<TrainOptions>, steps: number, name: string): Promise<HostParams> {
  const outDir = path.join(tmp, name);
  let taken = 0;
  await runTraining(
    { ...o, outDir },
    {
      onStep: () => {
        taken++;
      },
      shouldStop: () => taken >= steps,
    },
  );
  const ckpt = loadCheckpoint(outDir);
  expect(ckpt.step).toBe(steps);
  return ckpt.params;
}

describe('train runs what the artifact says', () => {
  for (const engine of ['ort', 'tfjs'] as const) {
    const label = engine === 'ort' ? 'fused ort' : 'generic tfjs';
    it(`${label} path: ||step of G at t|| = rate(G, t) = base(t) s m_G(t) of export-schedule`, async () => {
      const o = { ...base, optimizer: 'static' as const, schedule: artifact, scheduleScale: SCALE, steps: S, engine, evalEvery: 0 };
      const valid = validateTrainOptions(o);
      const rule = trainScheduleRule(valid, artifact)!;
      const exported = exportScheduleJson(artifact, S);
      const eta = scheduleFromSpec(exported.baseSchedule);
      const w0 = initValues(runConfig(valid, 'train'), valid.seed);
      const w1 = await paramsAfter(o, 1, `${engine}-1`);
      const w2 = await paramsAfter(o, 2, `${engine}-2`);
      for (const [t, before, after] of [
        [0, w0, w1],
        [1, w1, w2],
      ] as const) {
        for (const [group, norm] of groupStepNorms(after, before)) {
          const fromExport = eta(t) * SCALE * multiplierAt(exported.groups[group], t);
          expect(rule.rate(group, t)).toBeCloseTo(fromExport, 12);
          expect(norm / fromExport, `${group} at step ${t}`).toBeCloseTo(1, 4); // float32 parameters
        }
      }
    }, 60_000);
  }
});
