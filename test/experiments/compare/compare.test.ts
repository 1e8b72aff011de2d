/**
 * compare: gap closure by hand, and a whole (very short) comparison through the CLI.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gapClosure } from '../../../src/experiments/compare/report.js';
import { cli, fastRunFlags, smallCorpus } from '../../cli/helpers.js';

describe('gapClosure', () => {
  it('(sgd - static) / (sgd - adam)', () => {
    expect(gapClosure(6, 4, 4.5)).toBeCloseTo(0.75, 12); // (6 - 4.5) / (6 - 4) = 1.5 / 2
    expect(gapClosure(6, 4, 3)).toBeCloseTo(1.5, 12); // better than Adam: above 1
    expect(gapClosure(6, 4, 7)).toBeCloseTo(-0.5, 12); // worse than SGD: negative
    expect(gapClosure(4, 6, 5)).toBeNull(); // SGD already better than Adam: no gap to close
    expect(gapClosure(null, 4, 5)).toBeNull();
  });
});

describe('graftlr compare (2 steps per run)', () => {
  it('runs every method in its own process and writes report.md, report.json and plots', async () => {
    const { dir, corpus } = smallCorpus();
    const out = path.join(dir, 'cmp');
    const r = await cli(
      'compare',
      ...fastRunFlags(corpus, dir),
      '--engine',
      'tfjs',
      '--steps',
      '2',
      '--eval-points',
      '1',
      '--adam-lrs',
      '1e-3',
      '--sgd-lrs',
      '1',
      '--static-scales',
      '1',
      '--no-graft',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    // 1 adam + 1 sgd + 1 static (the default: factorized, cap 2, step norm + factored preconditioner at eps ratio 0.5) + 1 hybrid
    // = 4 training runs (seed 0), each with a finite held-out loss.
    expect(report.ranked.map((x: { name: string }) => x.name).sort()).toEqual([
      'adam-lr0.001-s0',
      'hybrid-tensor-p0.1-factorized-skip0.2-cap2-norm-factored-e0.5-x1-a0.001-s0',
      'sgd-lr1-s0',
      'static-tensor-p0.1-factorized-skip0.2-cap2-norm-factored-e0.5-x1-s0',
    ]);
    for (const run of report.ranked) expect(Number.isFinite(run.heldoutLoss)).toBe(true);
    // The loss at [MASK] inputs travels from each child's summary into the report, with its count baselines
    // on a strict subset of the in-domain positions.
    for (const run of report.ranked) expect(Number.isFinite(run.atMaskLoss)).toBe(true);
    const counts = report.countBaselines;
    expect(counts.heldoutAtMask.tokens).toBeGreaterThan(0);
    expect(counts.heldoutAtMask.tokens).toBeLessThan(counts.heldout.tokens);
    const byName = Object.fromEntries(report.ranked.map((x: { name: string }) => [x.name, x]));
    expect(byName['static-tensor-p0.1-factorized-skip0.2-cap2-norm-factored-e0.5-x1-s0'].optimizerStateBytes).toBe(0);
    expect(byName['sgd-lr1-s0'].optimizerStateBytes).toBe(0);
    // fastRunFlags: tiny preset (H 128, 2 layers, I 512), vocabulary 300, 32 positions. Adam keeps 2 x 4 bytes per
    // parameter; the hybrid only for biases and LayerNorm: 2 (9H + I) + 5H + V = 2 * 1664 + 640 + 300 = 4268 parameters.
    const adam = report.methods.find((m: { family: string }) => m.family === 'adam');
    const hybrid = report.methods.find((m: { family: string }) => m.family === 'hybrid');
    expect(hybrid.optimizerStateBytes).toBe(8 * 4268);
    expect(hybrid.stateless).toBe(false);
    expect(hybrid.statefulFraction).toBeCloseTo(4268 / (adam.optimizerStateBytes / 8), 12);
    const st = report.methods.find((m: { family: string }) => m.family === 'static');
    expect(st.artifactBytes).toBe(
      fs.statSync(path.join(out, 'schedules', 'tensor-p0.1-factorized-skip0.2-cap2-norm-factored-e0.5-s0.graft')).size,
    );
    // The command at the top of the report: every flag that differs from its default, no --json.
    expect(report.command).toMatch(/^graftlr compare /);
    for (const part of ['--engine tfjs', '--steps 2', '--static-scales 1', '--no-graft', `--out ${out}`])
      expect(report.command).toContain(part);
    expect(report.command).not.toContain('--json');
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Gap closure');
    expect(md).toContain(report.command);
    expect(md).toContain('## Methods ranked by mean held-out loss');
    expect(fs.readFileSync(path.join(out, 'loss-curves.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});
