/**
 * The one line compare prints after each run: held-out loss and speed, or why the run failed.
 */
import { describe, expect, it } from 'vitest';
import { runEndLine } from '../../../src/cli/compare.js';
import type { CompareRun, ProbeRun } from '../../../src/experiments/compare/run.js';
import type { TrainSummary } from '../../../src/run/train/run.js';

const summary = (loss: number | null, ms: number) =>
  ({ heldout: loss === null ? null : { loss, accuracy: 0.1, tokens: 10 }, msPerStepMedian: ms }) as unknown as TrainSummary;
const run = (extra: Partial<CompareRun>): CompareRun => ({
  name: 'sgd-lr2-s0',
  family: 'sgd',
  setting: 2,
  seed: 0,
  summary: summary(6.5317, 183.6),
  curve: [],
  evalCurve: [],
  ...extra,
});

describe('runEndLine', () => {
  it('a finished run: held-out loss (4 decimals) and ms/step', () => {
    expect(runEndLine(run({}))).toBe('  held-out loss 6.5317, 184 ms/step');
  });

  it('a failed run says why, instead of "held-out loss -, NaN ms/step"', () => {
    const line = runEndLine(run({ summary: summary(null, NaN), error: 'step 84: non-finite gradient (NaN or Infinity) in x' }));
    expect(line).toBe('  failed (counts as the worst setting of its sweep): step 84: non-finite gradient (NaN or Infinity) in x');
  });

  it('a probe prints no line', () => {
    const probe: ProbeRun = {
      name: 'probe-tensor-p0.1-s0',
      seed: 0,
      tracePath: 't',
      wallSeconds: 1,
      peakRssBytes: 1,
      steps: 2,
      optimizerStateBytes: 16,
    };
    expect(runEndLine(probe)).toBeUndefined();
  });
});
