/**
 * compare: gap closure by hand, and a whole (very short) comparison through the CLI.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gapClosure } from '../../src/compare/report.js';
import { cli, fastRunFlags, smallCorpus } from '../cli/helpers.js';

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
    const r = await cli('compare', ...fastRunFlags(corpus, dir), '--engine', 'tfjs', '--steps', '2', '--eval-points', '1',
      '--adam-lrs', '1e-3', '--sgd-lrs', '0.5,1', '--static-scales', '1', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    // 1 adam + 2 sgd + 1 graft + 1 static = 5 training runs, each with a finite held-out loss.
    expect(report.ranked.map((x: { name: string }) => x.name).sort()).toEqual(
      ['adam-lr0.001', 'graft-lr0.001', 'sgd-lr0.5', 'sgd-lr1', 'static-tensor-p0.1-constant-skip0.2-norm-x1']);
    for (const run of report.ranked) expect(Number.isFinite(run.heldoutLoss)).toBe(true);
    const byName = Object.fromEntries(report.ranked.map((x: { name: string }) => [x.name, x]));
    expect(byName['static-tensor-p0.1-constant-skip0.2-norm-x1'].optimizerStateBytes).toBe(0);
    expect(byName['sgd-lr1'].optimizerStateBytes).toBe(0);
    // Adam keeps two moments per parameter: 2 * 4 bytes * parameters.
    expect(byName['adam-lr0.001'].optimizerStateBytes).toBeGreaterThan(0);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Gap closure of static SGD');
    expect(fs.readFileSync(path.join(out, 'loss-curves.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});
