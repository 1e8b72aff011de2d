/**
 * Factored second moments and the fixed preconditioner: the math on hand-computed numbers, the trace and
 * artifact version-2 round trips, and what happens to version-1 files.
 */
import { describe, expect, it } from 'vitest';
import { buildArtifact, decodeArtifact, encodeArtifact } from '../../src/schedule/artifact.js';
import { encodeContainer } from '../../src/formats/codec.js';
import { compressTrace } from '../../src/schedule/compress.js';
import { preconditionerValues } from '../../src/optim/precondition.js';
import { buildPreconditioner, factorSecondMoment, preconditionerSpread, type SecondMoments } from '../../src/schedule/second-moments.js';
import { decodeTrace, encodeTrace } from '../../src/schedule/trace-file.js';
import { PER_GROUP_COLUMNS, type Trace } from '../../src/schedule/trace.js';
import { packArray } from '../../src/formats/codec.js';
import { exportScheduleJson, exportScheduleTorch } from '../../src/schedule/export.js';
import { formatArtifactTable } from '../../src/schedule/inspect.js';
import { SHAPES, syntheticTrace } from './synthetic.js';

describe('factorSecondMoment and the preconditioner (hand-computed)', () => {
  // v_hat = [[1, 2, 3], [4, 5, 6]]: row means R = [2, 5], column means C = [2.5, 3.5, 4.5], mean(R) = 3.5.
  const f = factorSecondMoment([1, 2, 3, 4, 5, 6], [2, 3]);

  it('keeps row and column means of a matrix, the values of a vector', () => {
    expect(Array.from((f as { rows: Float32Array }).rows)).toEqual([2, 5]);
    expect(Array.from((f as { cols: Float32Array }).cols)).toEqual([2.5, 3.5, 4.5]);
    expect(Array.from((factorSecondMoment([0.5, 0.25], [2]) as { values: Float32Array }).values)).toEqual([0.5, 0.25]);
  });

  it('P_ij = 1/sqrt(R_i C_j / mean R + eps^2), eps = ratio * sqrt(median R * median C / mean R)', () => {
    const moments: SecondMoments = { step: 7, beta2: 0.999, params: { w: f, b: factorSecondMoment([4, 1, 9], [3]) } };
    const p = buildPreconditioner(moments, 0.1);
    // Matrix: median R = 3.5 (mean of 2 and 5), median C = 3.5, so typical v~ = 3.5 * 3.5 / 3.5 = 3.5,
    // eps = 0.1 sqrt(3.5), eps^2 = 0.035. v~_00 = 2 * 2.5 / 3.5 = 10/7; v~_12 = 5 * 4.5 / 3.5 = 45/7.
    expect(p.params.w.eps).toBeCloseTo(0.1 * Math.sqrt(3.5), 12);
    const P = preconditionerValues(p.params.w);
    expect(P[0]).toBeCloseTo(1 / Math.sqrt(10 / 7 + 0.035), 6);
    expect(P[5]).toBeCloseTo(1 / Math.sqrt(45 / 7 + 0.035), 6);
    // max/min P = sqrt((45/7 + 0.035) / (10/7 + 0.035)) (largest over smallest v~).
    expect(preconditionerSpread(p.params.w)).toBeCloseTo(Math.sqrt((45 / 7 + 0.035) / (10 / 7 + 0.035)), 6);
    // Vector [4, 1, 9]: median 4, eps^2 = 0.01 * 4 = 0.04; P = 1/sqrt(v + 0.04).
    expect(Array.from(preconditionerValues(p.params.b))).toEqual([4.04, 1.04, 9.04].map((x) => expect.closeTo(1 / Math.sqrt(x), 7)));
  });

  it('a tensor without gradient (all v = 0) gets a finite uniform P = 1/eps, eps = ratio * 1', () => {
    const p = buildPreconditioner({ step: 1, beta2: 0.9, params: { z: factorSecondMoment([0, 0, 0, 0], [2, 2]) } }, 0.5);
    expect(p.params.z.eps).toBe(0.5);
    expect(Array.from(preconditionerValues(p.params.z))).toEqual([2, 2, 2, 2]);
  });
});

/** The synthetic trace plus made-up second moments for each of its parameters. */
function traceWithMoments(): Trace {
  const trace = syntheticTrace(() => 3);
  const params: SecondMoments['params'] = {};
  for (const [name, shape] of Object.entries(SHAPES)) {
    const n = shape.reduce((a, d) => a * d, 1);
    params[name] = factorSecondMoment(
      Array.from({ length: n }, (_, i) => 1e-6 * (1 + (i % 7))),
      shape,
    );
  }
  trace.secondMoments = { step: 100, beta2: 0.999, params };
  return trace;
}

describe('trace version 2', () => {
  it('round-trips the second moments bit-exactly', () => {
    const trace = traceWithMoments();
    const back = decodeTrace(encodeTrace(trace));
    expect(back.secondMoments).toEqual(trace.secondMoments);
  });

  it('reads a version-1 trace (no second moments): it compresses without a preconditioner, and "factored" refuses it', () => {
    const t = syntheticTrace(() => 3);
    const n = t.steps.length,
      G = t.meta.model.groups.length;
    const body: Record<string, unknown> = {
      format: 'graftlr.trace',
      version: 1,
      tool: { name: 'graftlr', version: '0.1.0' },
      model: t.meta.model,
      probe: t.meta.probe,
      steps: packArray(t.steps),
      loss: packArray(t.loss),
      eta: packArray(t.eta),
      valid: packArray(t.valid, [n, G]),
    };
    for (const col of PER_GROUP_COLUMNS) body[col] = packArray(t[col], [n, G]);
    const old = decodeTrace(encodeContainer(body));
    expect(old.secondMoments).toBeUndefined();
    expect(compressTrace(old, { target: 'stepNorm' }).groups[t.meta.model.groups[0].name]).toMatchObject({
      constant: expect.closeTo(6, 9),
    }); // m = uAdamNorm / eta = 3 * eta * 2 / eta
    expect(() => compressTrace(old, { target: 'stepNorm', preconditioner: 'factored' })).toThrow(
      'preconditioner "factored" needs the probe\'s second moments, which this trace lacks (traces before version 2 have none): re-run extract',
    );
  });

  it('refuses a factored preconditioner for multiplier schedules', () => {
    expect(() => compressTrace(traceWithMoments(), { target: 'multiplier', preconditioner: 'factored' })).toThrow(
      'needs target "stepNorm"',
    );
  });
});

describe('artifact version 2', () => {
  const trace = traceWithMoments();
  const artifact = buildArtifact({
    trace,
    compressed: compressTrace(trace, { target: 'stepNorm', preconditioner: 'factored', preconditionerEps: 0.05 }),
    createdAt: '2025-01-01T00:00:00Z',
  });

  it('round-trips the preconditioner; factors are O(rows + cols)', () => {
    expect(artifact.version).toBe(2);
    const back = decodeArtifact(encodeArtifact(artifact));
    expect(back.preconditioner).toEqual(artifact.preconditioner);
    const w = back.preconditioner!.params['embeddings.word_embeddings'] as { rows: Float32Array; cols: Float32Array };
    expect([w.rows.length, w.cols.length]).toEqual([64, 8]);
    // v_ij = 1e-6 (1 + (8i + j) mod 7): row 0 is 1..7, 1 -> mean 29/8 (x 1e-6)
    expect(w.rows[0]).toBeCloseTo((1e-6 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 1)) / 8, 12);
    expect(back.compression.options).toMatchObject({ preconditioner: 'factored', preconditionerEps: 0.05 });
  });

  it('a file whose options say "factored" but that lacks the factors is refused', () => {
    const { preconditioner: _, ...rest } = artifact;
    expect(() => decodeArtifact(encodeArtifact(rest))).toThrow(
      'schedule artifact field preconditioner is missing but compression.options.preconditioner is "factored"',
    );
  });

  it('inspect and both exports show the factors; torch rows of a Linear weight are graftlr columns', () => {
    const table = formatArtifactTable(artifact);
    // 64 + 8 + 8 + 8 + 8 + 64 factor values = 160 float32 = 640 bytes.
    expect(table).toContain('precond:     factored, 160 float32 factors (640 bytes), eps ratio 0.05');
    expect(table).toContain(
      `its row and column factors describe the seed-${artifact.probe.seed} initial weights the probe started from: train starts there (--init-seed to choose)`,
    );
    expect(table).toMatch(/encoder\.layer\.0\.attention\.self\.query\.kernel\s+8x8\s+8\+8/);
    const json = exportScheduleJson(artifact);
    expect(json.preconditioner!.params['cls.predictions.bias']).toMatchObject({ values: expect.any(Array) });
    const q = artifact.preconditioner!.params['encoder.layer.0.attention.self.query.kernel'] as { rows: Float32Array; cols: Float32Array };
    const torch = exportScheduleTorch(artifact).preconditioner!.params['bert.encoder.layer.0.attention.self.query.weight'] as {
      rows: number[];
      cols: number[];
    };
    expect(torch.rows).toEqual(Array.from(q.cols));
    expect(torch.cols).toEqual(Array.from(q.rows));
  });
});
