import { describe, expect, it } from 'vitest';
import { compressTrace, resolveCompressOptions } from '../../src/schedule/compress.js';
import { multiplierAt, type GroupSchedule } from '../../src/schedule/interpolate.js';
import { GROUPS, syntheticTrace } from './synthetic.js';

const [CLS, EMB, BIAS, KERNEL] = GROUPS; // sorted: cls.predictions.bias, embeddings..., ...query.bias, ...query.kernel
const constantOf = (s: GroupSchedule) => ('constant' in s ? s.constant : NaN);

describe('constant', () => {
  it('compresses a constant trace to that constant, with zero error and spread', () => {
    const values: Record<string, number> = { [CLS]: 0.37, [EMB]: 12, [BIAS]: 250, [KERNEL]: 3.5 };
    const r = compressTrace(syntheticTrace((g) => values[g]));
    for (const g of GROUPS) {
      expect(constantOf(r.groups[g])).toBeCloseTo(values[g], 12);
      expect(r.compression.fitError[g]).toBeCloseTo(0, 12);
      expect(r.groups[g].spread.iqrLog).toBeCloseTo(0, 12);
    }
    expect(r.compression.flagged).toEqual([]);
    expect(r.compression.clamped).toEqual([]);
    // 100 steps 0..99, skipFraction 0.2: window is t >= 0.2 * 99 = 19.8, i.e. steps 20..99 = 80 samples.
    expect(r.groups[CLS].spread).toMatchObject({ valid: 100, window: 80 });
  });

  it('takes the median of ln c after the transient, reports RMS error and IQR, flags wide groups', () => {
    // Steps 0..9, window t >= 0.2 * 9 = 1.8: steps 2..9 with c = 2^k, k = 0..7; the transient (1000) is skipped.
    // median of ln c (n = 8, type 7) = mean of k = 3, 4 -> 3.5 ln 2 -> c = 2^3.5.
    // residuals (k - 3.5) ln 2 -> RMS = ln 2 * sqrt(var(0..7)) = ln 2 * sqrt(63 / 12).
    // quartiles of k at positions 7 * 0.25 = 1.75 and 7 * 0.75 = 5.25 -> IQR of ln c = 3.5 ln 2 > ln 2: flagged.
    const trace = syntheticTrace((g, t) => (t < 2 ? 1000 : 2 ** (t - 2)), { steps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    const r = compressTrace(trace);
    expect(constantOf(r.groups[EMB])).toBeCloseTo(2 ** 3.5, 10);
    expect(r.compression.fitError[EMB]).toBeCloseTo(Math.LN2 * Math.sqrt(63 / 12), 10);
    expect(r.groups[EMB].spread.iqrLog).toBeCloseTo(3.5 * Math.LN2, 10);
    expect(r.groups[EMB].spread.q25).toBeCloseTo(2 ** 1.75, 10);
    expect(r.groups[EMB].spread.median).toBeCloseTo(2 ** 3.5, 10);
    expect(r.compression.flagged).toEqual(GROUPS);
    // Above a threshold of 3.5 ln 2 nothing is flagged.
    expect(compressTrace(trace, { flagSpread: 3.6 * Math.LN2 }).compression.flagged).toEqual([]);
  });

  it('trimmed mean drops the tails; with no trimming it is the geometric mean', () => {
    // Window values c = 1,1,1,1,1,1,1,256 (steps 2..9). Geometric mean = 256^(1/8) = 2;
    // trimming 1 of 8 from each end (trimFraction 0.125) leaves six ones -> 1; the median is 1.
    const trace = syntheticTrace((g, t) => (t === 9 ? 256 : 1), { steps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(constantOf(compressTrace(trace, { estimator: 'trimmedMean', trimFraction: 0 }).groups[CLS])).toBeCloseTo(2, 12);
    expect(constantOf(compressTrace(trace, { estimator: 'trimmedMean', trimFraction: 0.125 }).groups[CLS])).toBeCloseTo(1, 12);
    expect(constantOf(compressTrace(trace).groups[CLS])).toBeCloseTo(1, 12);
  });

  it('ignores invalid samples', () => {
    // Every 3rd sample of the kernel group is invalid (SGD norm 0, Adam norm 1e30): the result stays 4.
    const trace = syntheticTrace(() => 4, { invalid: (g, t) => g === KERNEL && t % 3 === 0 });
    const r = compressTrace(trace);
    expect(constantOf(r.groups[KERNEL])).toBeCloseTo(4, 12);
    // valid samples: 100 - 34 (t = 0, 3, ..., 99) = 66; in the window (t >= 20): 80 - 27 (t = 21..99 step 3) = 53.
    expect(r.groups[KERNEL].spread).toMatchObject({ valid: 66, window: 53 });
  });

  it('gives a group without valid samples the median of the others, and flags it', () => {
    const values: Record<string, number> = { [CLS]: 2, [EMB]: 8, [BIAS]: 32 };
    const trace = syntheticTrace((g) => values[g] ?? 1, { invalid: (g) => g === KERNEL });
    const r = compressTrace(trace);
    expect(constantOf(r.groups[KERNEL])).toBeCloseTo(8, 12); // median(2, 8, 32)
    expect(r.compression.noData).toEqual([KERNEL]);
    expect(r.compression.flagged).toEqual([KERNEL]);
    expect(r.compression.fitError[KERNEL]).toBeNull();
    expect(r.groups[KERNEL].spread).toEqual({ valid: 0, window: 0, q25: null, median: null, q75: null, iqrLog: null });
    expect(constantOf(compressTrace(trace, { fallback: 1.5 }).groups[KERNEL])).toBe(1.5);
  });

  it('clamps to the documented range and reports the clamped groups', () => {
    const values: Record<string, number> = { [CLS]: 1e5, [EMB]: 1e-5, [BIAS]: 50, [KERNEL]: 1 };
    const r = compressTrace(syntheticTrace((g) => values[g]));
    expect(constantOf(r.groups[CLS])).toBe(1e4);
    expect(constantOf(r.groups[EMB])).toBe(1e-3);
    expect(r.compression.clamped).toEqual([CLS, EMB]);
    // The fit error measures the shipped (clamped) schedule: |ln 1e5 - ln 1e4| = ln 10.
    expect(r.compression.fitError[CLS]).toBeCloseTo(Math.LN10, 10);
    const narrow = compressTrace(
      syntheticTrace((g) => values[g]),
      { minMultiplier: 2, maxMultiplier: 20 },
    );
    expect(narrow.compression.clamped).toEqual(GROUPS);
    expect(constantOf(narrow.groups[BIAS])).toBe(20);
  });
});

describe('piecewise', () => {
  // Probe steps 0..100 of a 1000-step plan; 5 knots at fractions 0, .025, .05, .075, .1.
  const steps = Array.from({ length: 101 }, (_, t) => t);
  const truth: GroupSchedule = {
    knots: [
      [0, 10],
      [0.025, 5],
      [0.05, 2],
      [0.075, 2],
      [0.1, 4],
    ],
  };

  it('recovers a log-linear trace with knots on the grid, held after the horizon', () => {
    const r = compressTrace(
      syntheticTrace((g, t) => multiplierAt(truth, t / 1000), { steps }),
      { method: 'piecewise', knots: 5 },
    );
    const got = r.groups[EMB];
    if (!('knots' in got)) throw new Error('expected knots');
    got.knots.forEach(([f, c], k) => {
      expect(f).toBeCloseTo(truth.knots[k][0], 12);
      expect(c / truth.knots[k][1]).toBeCloseTo(1, 6);
    });
    expect(multiplierAt(got, 0.6)).toBeCloseTo(4, 5); // held constant after the probe
    expect(r.compression.fitError[EMB]).toBeLessThan(1e-6);
  });

  it('averages out symmetric multiplicative noise', () => {
    // c * exp(+-0.2) alternating: within each segment the noise has mean ~0 in log space.
    const noisy = syntheticTrace((g, t) => multiplierAt(truth, t / 1000) * Math.exp(t % 2 ? 0.2 : -0.2), { steps });
    const got = compressTrace(noisy, { method: 'piecewise', knots: 5 }).groups[CLS];
    if (!('knots' in got)) throw new Error('expected knots');
    got.knots.forEach(([, c], k) => expect(Math.abs(Math.log(c / truth.knots[k][1]))).toBeLessThan(0.03));
  });
});

describe('factorized', () => {
  it('recovers ln c_G(t) = a_G + s(t), with s = 0 at the last knot', () => {
    // s on 4 knots over fractions 0..0.099 (steps 0..99 of 1000): exp(s) = 3, 1.5, 1.2, 1 -> offsets are the held values.
    const grid = [0, 0.033, 0.066, 0.099];
    const profile: GroupSchedule = {
      knots: [
        [grid[0], 3],
        [grid[1], 1.5],
        [grid[2], 1.2],
        [grid[3], 1],
      ],
    };
    const offsets: Record<string, number> = { [CLS]: 0.5, [EMB]: 20, [BIAS]: 300, [KERNEL]: 7 };
    // Missing samples in one group make the alternating fit do real work (unbalanced design).
    const trace = syntheticTrace((g, t) => offsets[g] * multiplierAt(profile, t / 1000), { invalid: (g, t) => g === BIAS && t < 40 });
    const r = compressTrace(trace, { method: 'factorized', knots: 4 });
    const p = r.compression.profile!;
    p.knots.forEach(([f, c], k) => {
      expect(f).toBeCloseTo(grid[k], 12);
      expect(c).toBeCloseTo(profile.knots[k][1], 6);
    });
    for (const g of GROUPS) {
      expect(p.offsets[g]).toBeCloseTo(offsets[g], 4);
      const s = r.groups[g];
      if (!('knots' in s)) throw new Error('expected knots');
      // knot k of group G = offset_G * exp(s_k)
      s.knots.forEach(([, c], k) => expect(c / (offsets[g] * profile.knots[k][1])).toBeCloseTo(1, 6));
      expect(r.compression.fitError[g]).toBeLessThan(1e-6);
    }
  });
});

describe('options', () => {
  it('names the bad value and the allowed range', () => {
    expect(() => resolveCompressOptions({ skipFraction: 1 })).toThrow(
      'compression option skipFraction = 1 is invalid: expected a number in [0, 1)',
    );
    expect(() => resolveCompressOptions({ knots: 1 })).toThrow('knots = 1 is invalid: expected an integer in [2, 64]');
    expect(() => resolveCompressOptions({ method: 'spline' as never })).toThrow('method = "spline"');
    expect(() => resolveCompressOptions({ minMultiplier: 5, maxMultiplier: 4 })).toThrow('maxMultiplier = 4');
  });
});
