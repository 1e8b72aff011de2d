/**
 * extract (factored by default) -> compress from the trace -> inspect -> train: the factored path end
 * to end on a small corpus, with 0 bytes of optimizer state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../src/schedule/artifact.js';
import { cli, fastRunFlags, smallCorpus } from './helpers.js';

describe('factored preconditioner end to end', () => {
  const { dir, corpus } = smallCorpus();
  const run = fastRunFlags(corpus, dir);
  const artifact = path.join(dir, 'f.graft');

  beforeAll(async () => {
    // No --preconditioner: factored (eps ratio 0.5) is extract's default with a step-norm target.
    // One batch for the stability limits (the default is 4) keeps this fast on the test's cpu backend.
    const r = await cli(
      'extract',
      ...run,
      '--engine',
      'tfjs',
      '--steps',
      '3',
      '--total-steps',
      '30',
      '--stability-batches',
      '1',
      '--out',
      artifact,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("measuring each group's stability limit");
  });

  it('the artifact carries row/column factors for every matrix and the trace re-compresses to the same factors', async () => {
    const a = decodeArtifact(fs.readFileSync(artifact));
    expect(a.version).toBe(2);
    expect(a.preconditioner?.epsRatio).toBe(0.5);
    expect(a.compression.options.capRatio).toBe(2); // the stability cap's default (by size)
    const word = a.preconditioner!.params['embeddings.word_embeddings'] as { rows: Float32Array; cols: Float32Array };
    const shape = a.model.params.find((p) => p.name === 'embeddings.word_embeddings')!.shape;
    expect([word.rows.length, word.cols.length]).toEqual(shape);
    const again = path.join(dir, 'again.graft');
    const r = await cli('compress', path.join(dir, 'f.trace'), '--out', again);
    expect(r.code, r.err).toBe(0);
    expect(decodeArtifact(fs.readFileSync(again)).preconditioner).toEqual(a.preconditioner);
    const none = await cli('compress', path.join(dir, 'f.trace'), '--preconditioner', 'none', '--out', path.join(dir, 'none.graft'));
    expect(none.code, none.err).toBe(0);
    expect(decodeArtifact(fs.readFileSync(path.join(dir, 'none.graft'))).preconditioner).toBeUndefined();
    const sharp = await cli('compress', path.join(dir, 'f.trace'), '--preconditioner-eps', '0.01', '--out', path.join(dir, 'sharp.graft'));
    expect(sharp.code, sharp.err).toBe(0);
    expect(decodeArtifact(fs.readFileSync(path.join(dir, 'sharp.graft'))).preconditioner?.epsRatio).toBe(0.01);
    // A multiplier target pairs with no preconditioner: the default drops it, an explicit one is refused.
    const rates = await cli('compress', path.join(dir, 'f.trace'), '--target', 'multiplier', '--out', path.join(dir, 'rates.graft'));
    expect(rates.code, rates.err).toBe(0);
    expect(decodeArtifact(fs.readFileSync(path.join(dir, 'rates.graft'))).preconditioner).toBeUndefined();
    const capped = await cli('compress', path.join(dir, 'f.trace'), '--cap-ratio', '2', '--out', path.join(dir, 'capped.graft'));
    expect(capped.code, capped.err).toBe(0);
    expect(decodeArtifact(fs.readFileSync(path.join(dir, 'capped.graft'))).compression.options.capRatio).toBe(2);
    // The trace carries the stability limits the probe measured at its end, so a cap can use them.
    const curv = await cli(
      'compress',
      path.join(dir, 'f.trace'),
      '--cap-ratio',
      '2',
      '--cap-by',
      'curvature',
      '--out',
      path.join(dir, 'curv.graft'),
    );
    expect(curv.code, curv.err).toBe(0);
    expect(decodeArtifact(fs.readFileSync(path.join(dir, 'curv.graft'))).compression.options).toMatchObject({
      capRatio: 2,
      capBy: 'curvature',
    });
    // extract refuses a curvature cap without the measurement before it probes.
    const unmeasured = await cli(
      'extract',
      ...run,
      '--engine',
      'tfjs',
      '--cap-ratio',
      '2',
      '--cap-by',
      'curvature',
      '--stability-batches',
      '0',
      '--out',
      path.join(dir, 'u.graft'),
    );
    expect(unmeasured.code).toBe(1);
    expect(unmeasured.err).toMatch(/pass --stability-batches 1 or more/);
    expect(fs.existsSync(path.join(dir, 'u.trace'))).toBe(false);
    const bad = await cli(
      'compress',
      path.join(dir, 'f.trace'),
      '--preconditioner',
      'factored',
      '--target',
      'multiplier',
      '--out',
      path.join(dir, 'x.graft'),
    );
    expect(bad.code).toBe(1);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });

  it('inspect --json reports the factor sizes', async () => {
    const r = await cli('inspect', artifact, '--json');
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out).preconditioner;
    const a = decodeArtifact(fs.readFileSync(artifact));
    // Stored values: rows + cols per matrix, the size of every other tensor; 4 bytes each.
    const expected = a.model.params.reduce((n, q) => n + (q.shape.length === 2 ? q.shape[0] + q.shape[1] : q.size), 0);
    expect(p.values).toBe(expected);
    expect(p.bytes).toBe(4 * expected);
  });

  it('train --schedule with it: 0 bytes of optimizer state, finite and falling loss', async () => {
    const out = path.join(dir, 'run');
    const r = await cli(
      'train',
      ...run,
      '--engine',
      'tfjs',
      '--schedule',
      artifact,
      '--steps',
      '12',
      '--eval-every',
      '0',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('optimizer state: 0 bytes');
    const s = JSON.parse(r.out);
    expect(s.optimizerStateBytes).toBe(0);
    expect(Number.isFinite(s.heldout.loss)).toBe(true);
    const losses = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => typeof l.loss === 'number' && l.step !== undefined)
      .map((l) => l.loss as number);
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)));
  });
});
