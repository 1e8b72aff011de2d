import { describe, expect, it } from 'vitest';
import { artifactGroupOf, multiplierAt, multiplierFn, type GroupSchedule } from '../../src/schedule/interpolate.js';
import { describeModel } from '../../src/schedule/model-info.js';

const knots: GroupSchedule = {
  knots: [
    [0, 1],
    [0.5, 100],
    [1, 10],
  ],
};

describe('multiplierAt', () => {
  it('is log-linear between knots', () => {
    // f = 0.25 is halfway from (0, 1) to (0.5, 100): exp((ln 1 + ln 100) / 2) = 10.
    expect(multiplierAt(knots, 0.25)).toBeCloseTo(10, 12);
    // f = 0.75 is halfway from (0.5, 100) to (1, 10): sqrt(100 * 10) = 31.6227766...
    expect(multiplierAt(knots, 0.75)).toBeCloseTo(Math.sqrt(1000), 12);
    // f = 0.1 is 1/5 of the way from 1 to 100: 100^(1/5) = 2.5118864...
    expect(multiplierAt(knots, 0.1)).toBeCloseTo(100 ** 0.2, 12);
    expect(multiplierAt(knots, 0.5)).toBe(100);
  });

  it('holds the end values outside the knots, and constants everywhere', () => {
    expect(multiplierAt(knots, -0.5)).toBe(1);
    expect(multiplierAt(knots, 3)).toBe(10);
    expect(multiplierAt({ knots: [[0.2, 7]] }, 0.9)).toBe(7);
    expect(multiplierAt({ constant: 0.25 }, 0.9)).toBe(0.25);
  });
});

describe('multiplierFn', () => {
  it('stretches fractions to the run length', () => {
    const fn = multiplierFn({ groups: { a: knots, b: { constant: 3 } } }, 1000);
    expect(fn('a', 250)).toBeCloseTo(10, 12); // 250 / 1000 = 0.25
    expect(fn('a', 5000)).toBe(10); // past the end: held
    expect(fn('b', 17)).toBe(3);
    const longer = multiplierFn({ groups: { a: knots } }, 4000);
    expect(longer('a', 1000)).toBeCloseTo(10, 12); // 1000 / 4000 = 0.25
  });

  it('refuses unknown groups and bad lengths', () => {
    const fn = multiplierFn({ groups: { a: knots } }, 10);
    expect(() => fn('zzz', 1)).toThrow('group "zzz" has no schedule in the artifact');
    expect(() => multiplierFn({ groups: {} }, 0)).toThrow('totalSteps = 0 is invalid');
  });
});

describe('artifactGroupOf', () => {
  it('maps parameters to their recorded groups', () => {
    const model = describeModel('x', {}, { 'l0.w': [2], 'l0.b': [2], 'l1.w': [3] }, (n) => n.split('.')[0]);
    const groupOf = artifactGroupOf({ model });
    expect(['l0.w', 'l0.b', 'l1.w'].map(groupOf)).toEqual(['l0', 'l0', 'l1']);
    expect(() => groupOf('l2.w')).toThrow('parameter "l2.w" is not in the artifact');
  });
});
