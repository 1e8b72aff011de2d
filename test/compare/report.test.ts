/**
 * The compare report from a hand-made result: a failed (diverged) run ranks last and never wins a sweep.
 */
import { describe, expect, it } from 'vitest';
import { buildReport, reportMarkdown } from '../../src/compare/report.js';
import type { CompareResult, CompareRun, Family } from '../../src/compare/run.js';
import { COMPARE_DEFAULTS, validateCompareOptions } from '../../src/compare/options.js';
import type { TrainSummary } from '../../src/train/run.js';

function run(name: string, family: Family, setting: number, loss: number | null, variant?: string): CompareRun {
  const metrics = (l: number) => ({ loss: l, accuracy: 0.1, tokens: 100 });
  const summary = {
    heldout: loss === null ? null : metrics(loss), ood: loss === null ? null : metrics(loss + 1), trainLoss: loss ?? NaN,
    wallSeconds: 1, msPerStepMedian: 10, tokensPerSecond: 100, optimizerStateBytes: 0, peakRssBytes: 2 ** 20,
  } as TrainSummary;
  return { name, family, setting, variant, summary, curve: [[1, 5]], evalCurve: [], ...(loss === null ? { error: 'step 3: non-finite gradient' } : {}) };
}

describe('compare report', () => {
  it('ranks a failed run last and picks the best finite run of a sweep for the gap closure', () => {
    const result: CompareResult = {
      options: validateCompareOptions({ ...COMPARE_DEFAULTS }), probes: [], wallSeconds: 60,
      runs: [
        run('adam', 'adam', 1e-3, 4), run('sgd', 'sgd', 1, 6),
        run('static-x2', 'static', 2, null, 'v'), run('static-x1', 'static', 1, 4.5, 'v'),
      ],
    };
    const report = buildReport(result);
    // in-domain (6 - 4.5) / (6 - 4) = 0.75; OOD losses are one higher for every run: (7 - 5.5) / (7 - 5) = 0.75.
    expect(report.gapClosure).toEqual([{ variant: 'v', heldout: 0.75, ood: 0.75 }]);
    expect(report.best.find((b) => b.family === 'static')?.name).toBe('static-x1');
    expect(report.ranked.map((r) => r.name)).toEqual(['adam', 'static-x1', 'sgd', 'static-x2']);
    expect(report.ranked[3].error).toBe('step 3: non-finite gradient');
    expect(reportMarkdown(result, report, 'graftlr compare')).toContain('| 4 | static-x2 | failed: step 3: non-finite gradient');
  });

  it('refuses a cap ratio between 0 and 1 and an unknown target', () => {
    expect(() => validateCompareOptions({ capRatios: [0.5] })).toThrow(/capRatios value 0.5/);
    expect(() => validateCompareOptions({ targets: ['rms' as 'stepNorm'] })).toThrow(/targets = \["rms"\]/);
  });
});
