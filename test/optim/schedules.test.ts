import { describe, expect, it } from 'vitest';
import {
  baseSchedule,
  constant,
  cosine,
  inverseSqrt,
  join,
  linear,
  scheduleFromSpec,
  scheduleLength,
  specOf,
  stretchSchedule,
  stretchSpec,
  warmupThen,
} from '../../src/optim/index.js';

const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 12);

describe('primitive schedules', () => {
  it('linear, cosine, inverse-sqrt at chosen steps', () => {
    // linear(2, 0, 8): 2 + (0 - 2) * t / 8 -> t=2: 1.5, t=8: 0, held after.
    const l = linear(2, 0, 8);
    close(l(0), 2);
    close(l(2), 1.5);
    close(l(8), 0);
    close(l(100), 0);
    // cosine(1, 0, 4): (1 + cos(pi t / 4)) / 2 -> t=1: (1 + 0.70710678)/2 = 0.85355339, t=2: 0.5, t=4: 0.
    const c = cosine(1, 0, 4);
    close(c(1), (1 + Math.SQRT1_2) / 2);
    close(c(2), 0.5);
    close(c(4), 0);
    close(c(9), 0);
    // inverseSqrt(3, 5): 3 * sqrt(5 / (5 + t)) -> t=0: 3, t=15: 3 * 0.5 = 1.5.
    const r = inverseSqrt(3, 5);
    close(r(0), 3);
    close(r(15), 1.5);
  });

  it('warmupThen: peak * (t + 1) / W during warmup, then the next schedule on its own clock', () => {
    // W = 5, after = constant 2: t=0 -> 2/5 = 0.4, t=1 -> 0.8, t=4 -> 2, t=5.. -> 2.
    const w = warmupThen(5, constant(2));
    close(w(0), 0.4);
    close(w(1), 0.8);
    close(w(4), 2);
    close(w(5), 2);
    close(w(99), 2);
    // after = linear(1, 0, 10): t=5 is its local step 0 -> 1; t=10 is local 5 -> 0.5.
    const d = warmupThen(5, linear(1, 0, 10));
    close(d(0), 0.2);
    close(d(5), 1);
    close(d(10), 0.5);
    close(d(15), 0);
  });

  it('join switches at absolute boundaries', () => {
    // [constant 1 on [0,3), linear(4,0,4) on [3,10), constant 7 after 10].
    const j = join([constant(1), linear(4, 0, 4), constant(7)], [3, 10]);
    close(j(2), 1);
    close(j(3), 4);
    close(j(5), 2);
    close(j(9), 0);
    close(j(10), 7);
    expect(() => join([constant(1), constant(2)], [3, 4])).toThrow(/one boundary fewer/);
    expect(() => join([constant(1), constant(2), constant(3)], [5, 5])).toThrow(/boundaries\[1\] = 5 is invalid: expected \(5, Infinity\)/);
    expect(() => join([constant(1), (t: number) => t], [5])).toThrow(/bare function/);
  });
});

describe('baseSchedule', () => {
  // peak 1, warmup 10, total 110: decay over D = 100 steps, s = t - 10.
  it('linear decay: 1 + (0 - 1) * s / 100', () => {
    const f = baseSchedule({ peakLr: 1, warmupSteps: 10, totalSteps: 110, decay: 'linear' });
    close(f(0), 0.1);
    close(f(4), 0.5);
    close(f(9), 1);
    close(f(10), 1);
    close(f(60), 0.5);
    close(f(85), 0.25);
    close(f(110), 0);
    close(f(500), 0);
  });
  it('cosine decay: (1 + cos(pi s / 100)) / 2', () => {
    const f = baseSchedule({ peakLr: 1, warmupSteps: 10, totalSteps: 110, decay: 'cosine' });
    close(f(35), (1 + Math.cos(Math.PI / 4)) / 2); // s = 25: 0.8535533906
    close(f(60), 0.5);
    close(f(110), 0);
  });
  it('inverse-sqrt decay: sqrt(10 / (10 + s)) = sqrt(10 / t); constant decay: 1', () => {
    const f = baseSchedule({ peakLr: 1, warmupSteps: 10, totalSteps: 110, decay: 'inverse-sqrt' });
    close(f(40), 0.5);
    close(f(160), Math.sqrt(10 / 160));
    const c = baseSchedule({ peakLr: 2, warmupSteps: 0, totalSteps: 5, decay: 'constant' });
    close(c(0), 2);
    close(c(1000), 2);
  });
  it('endLr: linear decays to it', () => {
    const f = baseSchedule({ peakLr: 1, totalSteps: 100, endLr: 0.2 });
    close(f(0), 1);
    close(f(50), 0.6);
    close(f(100), 0.2);
  });
  it('rejects bad options with the value and range', () => {
    expect(() => baseSchedule({ peakLr: 1, warmupSteps: 20, totalSteps: 10 })).toThrow(
      'baseSchedule: warmupSteps = 20 is invalid: expected an integer in [0, 10]',
    );
    expect(() => baseSchedule({ peakLr: -1, totalSteps: 10 })).toThrow('baseSchedule: peakLr = -1 is invalid: expected (0, Infinity)');
    expect(() => baseSchedule({ peakLr: 1, totalSteps: 10.5 })).toThrow(/totalSteps = 10.5 is invalid: expected an integer/);
    expect(() => baseSchedule({ peakLr: 1, totalSteps: 10, decay: 'exp' as 'linear' })).toThrow(/decay = "exp" is invalid/);
  });
});

describe('schedules as data', () => {
  const schedules = [
    baseSchedule({ peakLr: 1e-3, warmupSteps: 7, totalSteps: 50, decay: 'cosine', endLr: 1e-5 }),
    baseSchedule({ peakLr: 1e-3, warmupSteps: 3, totalSteps: 50, decay: 'inverse-sqrt' }),
    join([warmupThen(4, linear(1, 0.5, 10)), cosine(0.5, 0, 20)], [14]),
  ];
  it('a spec survives JSON and rebuilds the same values', () => {
    for (const s of schedules) {
      const spec = JSON.parse(JSON.stringify(specOf(s)));
      const rebuilt = scheduleFromSpec(spec);
      for (let t = 0; t < 80; t++) expect(rebuilt(t)).toBe(s(t));
    }
  });
  it('rejects an unknown kind and invalid fields', () => {
    expect(() => scheduleFromSpec({ kind: 'step' } as never)).toThrow(/kind = "step" is unknown/);
    expect(() => scheduleFromSpec({ kind: 'linear', from: 1, to: 0, steps: 0 })).toThrow(
      'linear: steps = 0 is invalid: expected (0, Infinity)',
    );
  });
});

describe('stretching', () => {
  it('base: warmup and decay scale with the total (10/110 -> 100/1100)', () => {
    const f = baseSchedule({ peakLr: 1, warmupSteps: 10, totalSteps: 110 });
    const g = stretchSchedule(f, 1100);
    expect(specOf(g)).toMatchObject({ kind: 'base', warmupSteps: 100, totalSteps: 1100 });
    close(g(49), 0.5); // warmup: (49 + 1) / 100
    close(g(600), 0.5); // s = 500 of D = 1000
    for (const k of [0, 0.25, 0.5, 1]) close(g(Math.round(100 + 1000 * k)), f(Math.round(10 + 100 * k)));
  });
  it('base with keepWarmup: only the decay stretches (D = 1090)', () => {
    const g = stretchSchedule(baseSchedule({ peakLr: 1, warmupSteps: 10, totalSteps: 110 }), 1100, { keepWarmup: true });
    close(g(9), 1);
    close(g(10 + 545), 0.5);
  });
  it('generic spec: every step count scales by total / length', () => {
    // length = 10 + 90 = 100; stretched to 200: linear over 20, boundary 20, cosine over 180.
    const j = join([linear(0, 1, 10), cosine(1, 0, 90)], [10]);
    expect(scheduleLength(specOf(j)!)).toBe(100);
    const s = stretchSchedule(j, 200);
    close(s(10), 0.5);
    close(s(20 + 90), 0.5);
    close(s(200), 0);
    expect(() => stretchSchedule(inverseSqrt(1, 10), 50)).toThrow(/length Infinity.*stretchSpec/);
    expect(scheduleFromSpec(stretchSpec(specOf(inverseSqrt(1, 10))!, 2))(60)).toBeCloseTo(Math.sqrt(20 / 80), 12);
  });
});
