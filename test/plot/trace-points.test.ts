/**
 * The faded trace of a schedule plot is drawn in the artifact's own quantity (issue 23, "also seen": a
 * step-norm artifact's plot drew multipliers c beside step norms m_G), and thinned so that a 100,000-point
 * trace neither overflows the stack (issue 23, item 10) nor makes a 33 MB SVG.
 */
import { describe, expect, it } from 'vitest';
import { plotArtifact } from '../../src/plot/artifact-plot.js';
import { extent } from '../../src/plot/scale.js';
import { MAX_TRACE_POINTS, thinPoints, tracePoints } from '../../src/plot/trace-points.js';
import type { ArtifactBody } from '../../src/schedule/artifact.js';
import { bertShapes, fixtureArtifact } from '../fixtures/fixture-artifact.js';
import { syntheticTrace } from '../schedule/synthetic.js';

function stepNormArtifact(): ArtifactBody {
  const a = fixtureArtifact();
  a.compression.options = { ...a.compression.options, target: 'stepNorm' } as typeof a.compression.options;
  return a;
}

/** The probe trace of the fixture's model: c = 3 everywhere, eta(t) = 1e-3 (1 + t), so m = ||u_Adam|| / eta = 2 c = 6. */
const raw = syntheticTrace(() => 3, { shapes: bertShapes(), steps: [0, 10, 20], eta: (t) => 1e-3 * (1 + t) });

describe('thinPoints', () => {
  it('merges runs of ceil(n / max) points into their mean x and geometric median y, skipping NaN', () => {
    const pts: [number, number][] = [
      [0, 1],
      [1, 4],
      [2, 16],
      [3, NaN],
      [4, 2],
    ];
    // k = ceil(5 / 2) = 3: x (0 + 1 + 2) / 3 = 1, y exp(median(ln 1, ln 4, ln 16)) = 4; then x 3.5, y 2
    const out = thinPoints(pts, 2);
    expect(out.map(([x]) => x)).toEqual([1, 3.5]);
    expect(out[0][1]).toBeCloseTo(4, 12);
    expect(out[1][1]).toBeCloseTo(2, 12);
    expect(thinPoints(pts, 5)).toBe(pts);
  });
});

describe('tracePoints', () => {
  it('a step-norm artifact with the raw trace: m_G = ||u_Adam[G]|| / eta(t) = 6 at x = t / 1000', () => {
    const t = tracePoints(stepNormArtifact(), raw);
    expect(t.quantity).toBe('stepNorm');
    expect(t.perGroup).toHaveLength(26);
    for (const pts of t.perGroup!) {
      expect(pts.map(([x]) => x)).toEqual([0, 0.01, 0.02]);
      for (const [, y] of pts) expect(y).toBeCloseTo(6, 9);
    }
  });

  it('a multiplier artifact draws c (3 from the raw trace; its own stored c without one)', () => {
    const t = tracePoints(fixtureArtifact(), raw);
    expect(t.quantity).toBe('multiplier');
    for (const [, y] of t.perGroup![0]) expect(y).toBeCloseTo(3, 9);
    const own = tracePoints(fixtureArtifact());
    // the fixture's c[j * G + g] = 2^(g - 8) (1 + 0.1 sin(j G + g)); group 0, point 0: 2^-8
    expect(own.perGroup![0][0][1]).toBeCloseTo(2 ** -8, 7);
  });

  it('a step-norm artifact without the raw trace draws none and says why', () => {
    const t = tracePoints(stepNormArtifact());
    expect(t.perGroup).toBeNull();
    expect(t.missing).toBe(
      'probe trace not drawn: the artifact keeps it as multipliers c, not step norms (inspect --trace <file.trace> draws it)',
    );
  });

  it('refuses a raw trace of other groups', () => {
    const other = syntheticTrace(() => 1, { steps: [0] }); // 4 groups of test/schedule/synthetic.ts
    expect(() => tracePoints(stepNormArtifact(), other)).toThrow(
      "the probe trace has 4 groups that are not the artifact's 26: pass the .trace file written with this artifact",
    );
  });
});

describe('plotArtifact labels and large traces', () => {
  it("labels the axis and subtitle by the artifact's quantity", () => {
    const m = plotArtifact(stepNormArtifact(), { trace: raw });
    expect(m).toContain('step norm m = ||u_adam|| / eta per group');
    expect((m.match(/>step norm m_G</g) ?? []).length).toBe(18); // one per panel
    expect(m).not.toContain('multiplier c');
    const c = plotArtifact(fixtureArtifact());
    expect((c.match(/>multiplier c_G</g) ?? []).length).toBe(18);
  });

  it('plots a 100,000-point trace (was: Maximum call stack size exceeded) with at most 500 points per group', () => {
    const a = fixtureArtifact();
    const G = a.model.groups.length,
      m = 100_000;
    a.trace = {
      stepsPerPoint: 1,
      fraction: Float64Array.from({ length: m }, (_, j) => (0.02 * j) / m),
      loss: new Float32Array(m).fill(5),
      c: Float32Array.from({ length: m * G }, (_, i) => 2 ** ((i % G) - 8)),
    };
    const svg = plotArtifact(a);
    const traces = [...svg.matchAll(/<path d="([^"]*)" fill="none" stroke="[^"]+" stroke-width="1"/g)].map((x) => x[1]);
    expect(traces).toHaveLength(G);
    expect(traces.every((d) => (d.match(/[ML]/g) ?? []).length === MAX_TRACE_POINTS)).toBe(true); // 100,000 / 200 per point
    expect(svg.length).toBeLessThan(1_000_000);
    // extent itself takes any number of values (it used Math.min(...values))
    expect(
      extent(
        Array.from({ length: 200_000 }, (_, i) => i + 1),
        false,
        0,
      ),
    ).toEqual([1, 200_000]);
  });
});
