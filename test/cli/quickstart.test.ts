/**
 * The main job (npm start) end to end on a small corpus: schedule, run, ONNX model, fill-mask answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUICKSTART_SENTENCES } from '../../src/cli/quickstart.js';
import { cli, fastRunFlags, smallCorpus } from './helpers.js';

describe('graftlr quickstart', () => {
  it('extracts, trains without optimizer state, exports and fills every mask', async () => {
    const { dir, corpus } = smallCorpus();
    const out = path.join(dir, 'qs');
    const r = await cli('quickstart', ...fastRunFlags(corpus, dir), '--engine', 'tfjs', '--steps', '10', '--out', out);
    expect(r.code, r.err).toBe(0);
    for (const f of ['schedule.graft', 'schedule.png', 'model.onnx', 'train/summary.json']) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    expect(r.out).toContain('optimizer state         0 bytes');
    // The held-out loss at [MASK] inputs (the context alone), from the run's final evaluation.
    expect(r.out).toMatch(/^at \[MASK\] inputs {8}\d+\.\d{4} \/ \d+\.\d% {2}\(\d+ held-out tokens: the context alone\)$/m);
    // One "-> top-5" line per sentence, each with 5 "token p%" entries.
    const answers = r.out.split('\n').filter((l) => l.trim().startsWith('->'));
    expect(answers).toHaveLength(QUICKSTART_SENTENCES.length);
    for (const a of answers) expect(a.match(/\d+\.\d%/g)).toHaveLength(5);
    // The probe ran 10% of 10 steps = 1 step, stored as step-norm values with the factored preconditioner.
    const summary = JSON.parse((await cli('inspect', path.join(out, 'schedule.graft'), '--json')).out);
    expect(summary.probe.steps).toBe(1);
    expect(summary.target).toBe('stepNorm');
    expect(summary.preconditioner).toMatchObject({ kind: 'factored', epsRatio: 0.5 }); // quickstart's own default
  });
});
