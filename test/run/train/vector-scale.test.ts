/**
 * --vector-scale: LayerNorm gamma/beta and biases take their own factor on a static schedule.
 *   w[G] <- w[G] - eta(t) s_G m_G g[G] / ||g[G]||,  s_G = vectorScale for LayerNorm/bias groups, else scheduleScale
 * vectorScale 0 must leave every LayerNorm and bias tensor exactly at its initial value while the matrices
 * move, on the fused and on the generic path; vectorScale = scheduleScale must equal leaving it unset.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrtEngine } from '../../../src/engine/ort/engine.js';
import { initValues } from '../../../src/model/init.js';
import { runProbe } from '../../../src/run/probe/probe.js';
import { buildArtifact, decodeArtifact, encodeArtifact, type Artifact } from '../../../src/schedule/artifact.js';
import { compressTrace } from '../../../src/schedule/compress.js';
import { loadCheckpoint } from '../../../src/run/train/checkpoint.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { runTraining } from '../../../src/run/train/run.js';
import { groupScale, isVectorParam, type TrainOptions } from '../../../src/run/train/train-options.js';
import { tinySetup } from './tiny.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-vector-scale-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let base: Partial<RunOptions>;
let artifact: Artifact;
beforeAll(async () => {
  ({ base } = await tinySetup());
  const probe = await runProbe({ ...base, totalSteps: 40, probeSteps: 6, lr: 0.01 });
  artifact = decodeArtifact(
    encodeArtifact(buildArtifact({ trace: probe.trace, compressed: compressTrace(probe.trace, { target: 'stepNorm' }) })),
  );
}, 60_000);

describe('vector scale', () => {
  it('names LayerNorm and bias tensors as vectors', () => {
    expect(
      [
        'encoder.layer.0.output.LayerNorm.gamma',
        'embeddings.LayerNorm.beta',
        'cls.predictions.bias',
        'encoder.layer.1.attention.self.key.bias',
      ].every(isVectorParam),
    ).toBe(true);
    expect(['embeddings.word_embeddings', 'encoder.layer.0.intermediate.dense.kernel'].some(isVectorParam)).toBe(false);
    expect(groupScale({ scheduleScale: 4, vectorScale: 1 }, 'cls.predictions.bias')).toBe(1);
    expect(groupScale({ scheduleScale: 4, vectorScale: 1 }, 'embeddings.word_embeddings')).toBe(4);
    expect(groupScale({ scheduleScale: 4 }, 'cls.predictions.bias')).toBe(4);
  });

  const engines: [string, TrainOptions['engine']][] = [
    ['fused', 'ort'],
    ['generic', (config, seed) => createOrtEngine(config, { seed })],
  ];
  for (const [label, engine] of engines) {
    it(`${label} path: vectorScale 0 freezes LayerNorm and biases, the matrices move`, async () => {
      const outDir = path.join(tmp, label);
      await runTraining({
        ...base,
        engine,
        optimizer: 'static',
        schedule: artifact,
        scheduleScale: 4,
        vectorScale: 0,
        steps: 3,
        evalEvery: 0,
        outDir,
      });
      const trained = loadCheckpoint(outDir).params;
      const initial = initValues(loadCheckpoint(outDir).model.config, base.seed ?? 0);
      for (const [name, p] of Object.entries(trained)) {
        const moved = p.data.some((v, i) => v !== initial[name].data[i]);
        expect(moved, name).toBe(!isVectorParam(name));
      }
    }, 60_000);
  }

  it('vectorScale = scheduleScale is the same run as leaving it unset', async () => {
    const losses = async (o: Partial<TrainOptions>) => {
      const out: number[] = [];
      await runTraining(
        { ...base, optimizer: 'static', schedule: artifact, scheduleScale: 4, steps: 4, evalEvery: 0, ...o },
        {
          onStep: (r) => {
            out.push(r.loss);
          },
        },
      );
      return out;
    };
    expect(await losses({ vectorScale: 4 })).toEqual(await losses({}));
  }, 60_000);
});
