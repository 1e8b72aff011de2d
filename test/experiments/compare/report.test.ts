/**
 * The compare report from a hand-made result: a failed (diverged) run ranks last and never wins a sweep;
 * mean and sample sd by hand.
 */
import { describe, expect, it } from 'vitest';
import { stat } from '../../../src/experiments/compare/aggregate.js';
import { buildReport, meanCurve, reportMarkdown } from '../../../src/experiments/compare/report.js';
import type { CompareResult, CompareRun, Family } from '../../../src/experiments/compare/run.js';
import { chooseSetting } from '../../../src/experiments/compare/select.js';
import { COMPARE_DEFAULTS, validateCompareOptions } from '../../../src/experiments/compare/options.js';
import type { TrainSummary } from '../../../src/run/train/run.js';

function run(name: string, family: Family, setting: number, loss: number | null, variant?: string, seed = 0): CompareRun {
  const metrics = (l: number) => ({ loss: l, accuracy: 0.1, tokens: 100 });
  const summary = {
    heldout: loss === null ? null : metrics(loss),
    ood: loss === null ? null : metrics(loss + 1),
    trainLoss: loss ?? NaN,
    // at [MASK] inputs: two above the overall loss; absent for 'adam', as in a run cached before it was measured
    heldoutAtMask: loss === null || name === 'adam' ? undefined : metrics(loss + 2),
    wallSeconds: 1,
    msPerStepMedian: 10,
    tokensPerSecond: 100,
    optimizerStateBytes: 0,
    paramCount: 10,
    statefulParams: 0,
    peakRssBytes: 2 ** 20,
  } as TrainSummary;
  return {
    name,
    family,
    setting,
    seed,
    variant,
    summary,
    curve: [[1, 5]],
    evalCurve: [],
    ...(loss === null ? { error: 'step 3: non-finite gradient' } : {}),
  };
}

describe('compare report', () => {
  it('ranks a failed run last and picks the best finite run of a sweep for the gap closure', () => {
    const runs = [
      run('adam', 'adam', 1e-3, 4),
      run('sgd', 'sgd', 1, 6),
      run('static-x2', 'static', 2, null, 'v'),
      run('static-x1', 'static', 1, 4.5, 'v'),
    ];
    // The diverged x2 never wins: x1 is selected.
    expect(
      chooseSetting(
        runs.filter((r) => r.family === 'static'),
        [0],
      ),
    ).toBe(1);
    const result: CompareResult = {
      options: validateCompareOptions({ ...COMPARE_DEFAULTS }),
      probes: [],
      wallSeconds: 60,
      tuneSeeds: [0],
      runs,
      countBaselines: {
        heldout: { unigram: 6.84451, leftBigram: 5.827, tokens: 10 },
        heldoutAtMask: { unigram: 6.9, leftBigram: 6.1, tokens: 8 },
        ood: null,
      },
      selected: [
        { method: 'adam', family: 'adam', variant: null, setting: 1e-3 },
        { method: 'sgd', family: 'sgd', variant: null, setting: 1 },
        { method: 'static v', family: 'static', variant: 'v', setting: 1 },
      ],
    };
    const report = buildReport(result);
    // in-domain (6 - 4.5) / (6 - 4) = 0.75; OOD losses are one higher for every run: (7 - 5.5) / (7 - 5) = 0.75.
    const st = report.methods.find((m) => m.family === 'static')!;
    expect([st.gapClosure.heldout.mean, st.gapClosure.ood.mean, st.gapClosure.heldout.sd]).toEqual([0.75, 0.75, null]);
    expect(report.methods.map((m) => m.method)).toEqual(['adam', 'static v', 'sgd']);
    expect(report.ranked.map((r) => r.name)).toEqual(['adam', 'static-x1', 'sgd', 'static-x2']);
    expect(report.ranked[3].error).toBe('step 3: non-finite gradient');
    const md = reportMarkdown(result, report, 'graftlr compare');
    expect(md).toContain('| 4 | static-x2 | 0 | failed: step 3: non-finite gradient');
    expect(md).toContain('Runs and probes took 0.1 min in all (this invocation 1.0 min;'); // 4 runs x 1 s; wallSeconds 60
    expect(md).toContain(
      'unigram, which ignores the context, 6.8445 / -; a bigram on the left neighbour 5.8270 / -; ' +
        'at the in-domain [MASK] inputs alone, unigram 6.9000 and bigram 6.1000',
    );
    // One seed: no sd. Columns: held-out loss, acc, at [MASK] ('-' where the run has none), OOD loss, acc.
    expect(md).toContain('| 2 | static v | scale 1 | yes | 1 | 4.5000 | 10.0% | 6.5000 | 5.5000 | 10.0% |');
    expect(md).toMatch(/\| 1 \| adam \| [^|]+ \| no \| 1 \| 4\.0000 \| 10\.0% \| - \| 5\.0000 \| 10\.0% \|/);
    expect(md).toContain('| 2 | static-x1 | 0 | 4.5000 | 10.0% | 6.5000 | 5.5000 |');
  });

  it('names the seeds a mean covers when some runs lack the [MASK]-input loss (cached before it was measured)', () => {
    // 'adam' (seed 0) has no [MASK]-input loss; 'adam1' (seed 1) has 4.2 + 2 = 6.2.
    const runs = [
      run('adam', 'adam', 1e-3, 4),
      run('adam1', 'adam', 1e-3, 4.2, undefined, 1),
      run('sgd', 'sgd', 1, 6),
      run('sgd1', 'sgd', 1, 6, undefined, 1),
    ];
    const result: CompareResult = {
      options: validateCompareOptions({ ...COMPARE_DEFAULTS, seeds: [0, 1] }),
      probes: [],
      wallSeconds: 60,
      tuneSeeds: [0],
      runs,
      countBaselines: { heldout: null, heldoutAtMask: null, ood: null },
      selected: [
        { method: 'adam', family: 'adam', variant: null, setting: 1e-3 },
        { method: 'sgd', family: 'sgd', variant: null, setting: 1 },
      ],
    };
    const md = reportMarkdown(result, buildReport(result), 'graftlr compare');
    expect(md).toMatch(/\| adam \| [^|]+ \| no \| 2 \| 4\.1000 ± 0\.1414 \| [^|]+ \| 6\.2000 \(1 of 2 seeds\) \|/);
    expect(md).toMatch(/\| sgd \| [^|]+ \| yes \| 2 \| 6\.0000 ± 0\.0000 \| [^|]+ \| 8\.0000 ± 0\.0000 \|/);
  });

  it('mean and sample sd; curves averaged at shared steps', () => {
    // mean (1 + 2 + 6) / 3 = 3; sd sqrt((4 + 1 + 9) / 2) = sqrt(7) = 2.6458; the null (failed) seed is not counted.
    const s = stat([1, 2, null, 6]);
    expect(s.mean).toBe(3);
    expect(s.sd).toBeCloseTo(Math.sqrt(7), 12);
    expect(s.n).toBe(3);
    expect(stat([null]).mean).toBeNull();
    expect(
      meanCurve([
        [
          [1, 2],
          [2, 4],
        ],
        [
          [1, 4],
          [2, 8],
          [3, 1],
        ],
      ]),
    ).toEqual([
      [1, 3],
      [2, 6],
    ]);
  });

  it('refuses a cap ratio between 0 and 1, an unknown target and a repeated seed', () => {
    expect(() => validateCompareOptions({ capRatios: [0.5] })).toThrow(/capRatios value 0.5/);
    expect(() => validateCompareOptions({ targets: ['rms' as 'stepNorm'] })).toThrow(/targets = \["rms"\]/);
    expect(() => validateCompareOptions({ seeds: [0, 1, 0] })).toThrow(/repeat a seed/);
    expect(validateCompareOptions({ seed: 7 }).seeds).toEqual([7]);
  });
});
