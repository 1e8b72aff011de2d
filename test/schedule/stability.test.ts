import { describe, expect, it } from 'vitest';
import { compressTrace, resolveCompressOptions } from '../../src/schedule/compress.js';
import type { GroupSchedule } from '../../src/schedule/interpolate.js';
import { describeModel } from '../../src/schedule/model-info.js';
import { capLogSchedules, zeroGradientGroups } from '../../src/schedule/stability.js';
import { traceRecorder, type GroupStepNorms } from '../../src/schedule/trace.js';
import { GROUPS, PROBE, SHAPES } from './synthetic.js';

const [CLS, EMB, BIAS, KERNEL] = GROUPS; // sizes 64, 512, 8, 64
const constantOf = (s: GroupSchedule) => ('constant' in s ? s.constant : NaN);

/**
 * 10 steps, eta = 1e-3, every group with a fixed gradient RMS and multiplier c:
 * gradNorm = rms * sqrt(size), uSgdNorm = gradNorm, uAdamNorm = c * eta * gradNorm.
 * The query bias has a round-off gradient (rms 1e-12) and a wild ratio 1e8, like the attention key bias.
 */
const RMS: Record<string, number> = { [CLS]: 4e-3, [EMB]: 1e-3, [BIAS]: 1e-12, [KERNEL]: 2e-3 };
const C: Record<string, number> = { [CLS]: 50, [EMB]: 100, [BIAS]: 1e8, [KERNEL]: 400 };

function trace() {
  const model = describeModel('bert-mlm', { hiddenSize: 8 }, SHAPES);
  const rec = traceRecorder({ model, probe: { ...PROBE, steps: 10 } });
  for (let t = 0; t < 10; t++) {
    const groups: Record<string, GroupStepNorms> = {};
    for (const g of model.groups) {
      const gradNorm = RMS[g.name] * Math.sqrt(g.size);
      groups[g.name] = { uAdamNorm: C[g.name] * 1e-3 * gradNorm, uSgdNorm: gradNorm, gradNorm };
    }
    rec.record({ step: t, loss: 5, eta: 1e-3, groups });
  }
  return rec.finish();
}

describe('zero-gradient groups', () => {
  it('finds the group whose gradient RMS is round-off relative to the median group', () => {
    // median of RMS over groups (1e-12, 1e-3, 2e-3, 4e-3) = (1e-3 + 2e-3) / 2 = 1.5e-3; threshold 1e-6 * 1.5e-3.
    expect(zeroGradientGroups(trace(), 1e-6)).toEqual(GROUPS.map((g) => g === BIAS));
    // Threshold 0.5 * 1.5e-3 = 0.75e-3 < 1e-3 leaves EMB alone; 0.7 * 1.5e-3 = 1.05e-3 > 1e-3 catches it.
    expect(zeroGradientGroups(trace(), 0.5)).toEqual(GROUPS.map((g) => g === BIAS));
    expect(zeroGradientGroups(trace(), 0.7)).toEqual(GROUPS.map((g) => g === BIAS || g === EMB));
    expect(zeroGradientGroups(trace(), 0)).toEqual(GROUPS.map(() => false));
  });

  it('gives a zero-gradient group the fallback (median of the others) instead of the clamp', () => {
    const r = compressTrace(trace());
    // others: 50, 100, 400 -> median 100.
    expect(constantOf(r.groups[BIAS])).toBeCloseTo(100, 9);
    expect(r.compression.noData).toEqual([BIAS]);
    expect(r.compression.clamped).toEqual([]);
    // With the test off, its noise ratio 1e8 is clamped to 1e4.
    const off = compressTrace(trace(), { zeroGradTol: 0 });
    expect(constantOf(off.groups[BIAS])).toBe(1e4);
    expect(off.compression.clamped).toEqual([BIAS]);
  });
});

describe('stability cap', () => {
  it('caps each group at capRatio times the median group multiplier', () => {
    // groups with data: 50, 100, 400 -> median 100; capRatio 2 -> cap 200: the kernel (400) is capped.
    // The fallback for the zero-gradient bias is then the median of 50, 100, 200 = 100.
    const r = compressTrace(trace(), { capRatio: 2 });
    expect(constantOf(r.groups[KERNEL])).toBeCloseTo(200, 9);
    expect(constantOf(r.groups[EMB])).toBeCloseTo(100, 9);
    expect(constantOf(r.groups[CLS])).toBeCloseTo(50, 9);
    expect(constantOf(r.groups[BIAS])).toBeCloseTo(100, 9);
    expect(r.compression.clamped).toEqual([KERNEL]);
    // capRatio 4 -> cap 400: nothing above it.
    expect(compressTrace(trace(), { capRatio: 4 }).compression.clamped).toEqual([]);
  });

  it("caps step norms per coordinate: m_G / sqrt(size_G) against the median group's, not raw lengths", () => {
    // m_G = ||u_Adam|| / eta = c * rms * sqrt(size): CLS 50 * 4e-3 * 8 = 1.6, EMB 100 * 1e-3 * sqrt(512) = 2.263,
    // KERNEL 400 * 2e-3 * 8 = 6.4. Per coordinate (m / sqrt(size)): 0.2, 0.1, 0.8 -> median 0.2; capRatio 2 -> 0.4,
    // so KERNEL is capped at 0.4 * 8 = 3.2. (A cap on raw lengths would give 2 * 2.263 = 4.53 instead.)
    const r = compressTrace(trace(), { capRatio: 2, target: 'stepNorm' });
    expect(constantOf(r.groups[KERNEL])).toBeCloseTo(3.2, 9);
    expect(constantOf(r.groups[EMB])).toBeCloseTo(100e-3 * Math.sqrt(512), 9);
    expect(constantOf(r.groups[CLS])).toBeCloseTo(1.6, 9);
    expect(r.compression.clamped).toEqual([KERNEL]);
    // capRatio 4 -> 0.8 per coordinate: nothing above it.
    expect(compressTrace(trace(), { capRatio: 4, target: 'stepNorm' }).compression.clamped).toEqual([]);
  });

  it('scales a knot schedule whose held (last-knot) value is above the cap down as a whole, keeping its profile', () => {
    // held ln values: ln 1000, ln 100, ln 1 -> median ln 100; capRatio 3 -> cap ln 300.
    const logs: (GroupSchedule | null)[] = [
      {
        knots: [
          [0, Math.log(10)],
          [1, Math.log(1000)],
        ],
      },
      { constant: Math.log(100) },
      null,
      { constant: 0 },
    ];
    const { logs: out, capped } = capLogSchedules(logs, 3);
    expect(capped).toEqual([0]);
    const k = (out[0] as { knots: [number, number][] }).knots;
    expect(k[0][1]).toBeCloseTo(Math.log(3), 12); // 10 * 300 / 1000
    expect(k[1][1]).toBeCloseTo(Math.log(300), 12);
    // A schedule whose early knot is above the cap but whose held value is below it is left alone.
    const early = capLogSchedules(
      [
        {
          knots: [
            [0, Math.log(5000)],
            [1, Math.log(200)],
          ],
        },
        { constant: Math.log(100) },
      ],
      3,
    );
    expect(early.capped).toEqual([]);
    expect(out[1]).toBe(logs[1]);
    expect(out[2]).toBeNull();
    // With per-group units (ln sqrt(size)): per unit held values ln 1000 - ln 10, ln 100 - ln 10, ln 1 - 0 -> median
    // ln 10; capRatio 3 -> ln 30 per unit, i.e. ln 300 for the unit-10 groups and ln 30 for the last.
    const units = capLogSchedules(logs, 3, [Math.log(10), Math.log(10), 0, 0]);
    expect(units.capped).toEqual([0]);
    expect((units.logs[0] as { knots: [number, number][] }).knots[1][1]).toBeCloseTo(Math.log(300), 12);
  });

  it("caps against measured stability limits with capBy curvature: m_G / limit_G against the median group's", () => {
    // m_G: CLS 1.6, EMB 2.263, KERNEL 6.4 (above). Limits CLS 16, EMB 2.263, KERNEL 32, BIAS NaN (no data):
    // m / limit = 0.1, 1, 0.2 -> median 0.2; capRatio 2 -> 0.4, so EMB is capped at 0.4 * 2.263.
    // (By size it would be KERNEL, the largest per coordinate.)
    const t = trace();
    const emb = 100 * 1e-3 * Math.sqrt(512);
    const limit = Float64Array.from(GROUPS.map((g) => ({ [CLS]: 16, [EMB]: emb, [BIAS]: NaN, [KERNEL]: 32 })[g]));
    const slope = Float64Array.from(GROUPS.map((g) => RMS[g] * Math.sqrt(t.meta.model.groups.find((x) => x.name === g)!.size)));
    t.stability = { batches: 1, stepLength: limit.map(() => 1), slope, curvature: limit.map((l, g) => (2 * slope[g]) / l), limit };
    const r = compressTrace(t, { capRatio: 2, capBy: 'curvature', target: 'stepNorm' });
    expect(r.compression.clamped).toEqual([EMB]);
    expect(constantOf(r.groups[EMB])).toBeCloseTo(0.4 * emb, 9);
    expect(constantOf(r.groups[KERNEL])).toBeCloseTo(6.4, 9);
    expect(r.compression.options.capBy).toBe('curvature');
    // A group with no finite limit (Infinity: no curvature seen) is neither counted nor capped: the median of 0.1 and 1
    // (taken on ln values) is sqrt(0.1).
    t.stability.limit[GROUPS.indexOf(KERNEL)] = Infinity;
    const noKernel = compressTrace(t, { capRatio: 1, capBy: 'curvature', target: 'stepNorm' });
    expect(noKernel.compression.clamped).toEqual([EMB]);
    expect(constantOf(noKernel.groups[EMB])).toBeCloseTo(Math.sqrt(0.1) * emb, 9);
    // Multipliers compare c_G * s_G / limit_G = c_G h_G / 2.
    const multiplier = compressTrace(t, { capRatio: 1, capBy: 'curvature' });
    expect(multiplier.compression.clamped).toEqual([EMB]);
    // A cap by size is stored without capBy, as in files made before it existed.
    expect('capBy' in compressTrace(t, { capRatio: 2 }).compression.options).toBe(false);
  });

  it('refuses capBy curvature on a trace without measured limits, and an unknown basis', () => {
    expect(() => compressTrace(trace(), { capRatio: 2, capBy: 'curvature' })).toThrow(
      /this trace lacks \(traces before version 3 have none\): re-run extract, or pass --cap-by size/,
    );
    expect(compressTrace(trace(), { capRatio: 0, capBy: 'curvature' }).compression.clamped).toEqual([]); // no cap, no limits needed
    expect(() => resolveCompressOptions({ capBy: 'loss' as 'size' })).toThrow(/capBy = "loss"/);
  });

  it('refuses a cap ratio below 1 and a tolerance outside [0, 1)', () => {
    expect(() => resolveCompressOptions({ capRatio: 0.5 })).toThrow(/capRatio = 0.5/);
    expect(() => resolveCompressOptions({ zeroGradTol: 1 })).toThrow(/zeroGradTol = 1/);
  });
});
