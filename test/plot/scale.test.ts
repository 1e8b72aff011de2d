import { describe, expect, it } from 'vitest';
import { extent, formatTick, linearTicks, logTicks, makeScale, niceStep } from '../../src/plot/scale.js';

describe('ticks', () => {
  it('picks 1-2-5 steps', () => {
    expect(niceStep(10, 5)).toBe(2); // raw 2 -> 2
    expect(niceStep(1, 4)).toBe(0.2); // raw 0.25 -> f 2.5 -> 2
    expect(niceStep(0.8, 2)).toBe(0.5); // raw 0.4 -> f 4 -> 5
    expect(linearTicks(0, 0.16, 3)).toEqual([0, 0.05, 0.1, 0.15]); // raw 0.0533 -> 0.05
    expect(linearTicks(-3, 7, 5)).toEqual([-2, 0, 2, 4, 6]);
  });

  it('uses decades, then 1-2-5, then 1..9 on a log axis, as many as fit', () => {
    expect(logTicks(0.5, 2000, 8)).toEqual([1, 10, 100, 1000]); // 1-2-5 would give 10 ticks
    expect(logTicks(0.5, 2000, 12)).toEqual([0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]);
    expect(logTicks(1.5, 8.5, 8)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    // 13 decades > 4: keep every ceil(13 / 4) = 4th decade, exponents divisible by 4: -4, 0, 4.
    expect(logTicks(1e-6, 1e6, 4)).toEqual([1e-4, 1, 1e4]);
  });

  it('labels ticks briefly', () => {
    expect([0, 0.05, 1, 250, 1e4, 2e-4, 1.5e5].map(formatTick)).toEqual(['0', '0.05', '1', '250', '1e4', '2e-4', '1.5e5']);
  });
});

describe('scales', () => {
  it('maps log values so that equal ratios get equal distances', () => {
    const s = makeScale([1, 100], [200, 0], true);
    expect(s.map(1)).toBe(200);
    expect(s.map(100)).toBe(0);
    expect(s.map(10)).toBeCloseTo(100, 12);
  });

  it('pads extents, ignores non-positive values on a log axis, and widens a flat log range to a factor of 2', () => {
    expect(extent([0, 10], false, 0.1)).toEqual([-1, 11]);
    const [lo, hi] = extent([-5, 0, NaN, 3, 3], true, 0);
    // flat at 3: log10 range widened to +-0.15 decades around log10(3)
    expect(lo).toBeCloseTo(3 * 10 ** -0.15, 12);
    expect(hi).toBeCloseTo(3 * 10 ** 0.15, 12);
  });
});

describe('narrow log ranges', () => {
  it('fall back to linear ticks when fewer than 3 of 1..9 x 10^k fit', () => {
    // [100, 150]: only 100 from {1..9} x 10^k -> linear ticks with step niceStep(50, 4) = 10
    expect(logTicks(99, 151, 8)).toEqual([100, 110, 120, 130, 140, 150]);
    // [1, 3]: 1, 2, 3 fit -> the 1..9 set
    expect(logTicks(0.99, 3.1, 8)).toEqual([1, 2, 3]);
  });
});
