/**
 * Emitter.scatterAddRows: the embedding gradients' scatter-add by id, which must stay exact and
 * deterministic on several threads. onnxruntime's own ScatterND with reduction "add" lost updates here:
 * 2048 rows of width 128 onto 2 rows, 2 threads, gave 5 different results in 5 calls, off by up to 20.
 */
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/engine/ort/ops.js';
import { OrtSession } from '../../src/runtime/ort.js';
import { GraphBuilder } from '../../src/formats/onnx-builder.js';

function scatterGraph(V: number, H: number, N: number): { bytes: Uint8Array; out: string } {
  const g = new GraphBuilder('scatter');
  const e = new Emitter(g);
  const base = g.input('base', 'float32', [V, H]);
  const ids = g.input('ids', 'int64', [N, 1]);
  const rows = g.input('rows', 'float32', [N, H]);
  const out = e.scatterAddRows(base, ids, rows, 'out');
  g.output(out, 'float32', [V, H]);
  return { bytes: g.toBytes(), out };
}

describe('scatterAddRows', () => {
  it('sums duplicate ids exactly (to float32 rounding) and identically on every call with 2 threads', async () => {
    const [V, H, N] = [3, 128, 2048];
    const { bytes, out } = scatterGraph(V, H, N);
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    const rows = Float32Array.from({ length: N * H }, rnd);
    const base = Float32Array.from({ length: V * H }, rnd);
    const ids = BigInt64Array.from({ length: N }, (_, i) => BigInt(i % 2 === 0 ? 0 : 2)); // alternating; row 1 untouched
    const expected = Float64Array.from(base);
    for (let i = 0; i < N; i++) for (let j = 0; j < H; j++) expected[Number(ids[i]) * H + j] += rows[i * H + j];
    const session = await OrtSession.create(bytes, { threads: 2 }, 'scatter graph');
    const results: Float32Array[] = [];
    for (let call = 0; call < 5; call++) {
      const r = await session.run({
        base: { dtype: 'float32', dims: [V, H], data: base },
        ids: { dtype: 'int64', dims: [N, 1], data: ids },
        rows: { dtype: 'float32', dims: [N, H], data: rows },
      });
      results.push(r[out].data as Float32Array);
    }
    let maxErr = 0;
    for (let k = 0; k < V * H; k++) maxErr = Math.max(maxErr, Math.abs(results[0][k] - expected[k]));
    expect(maxErr).toBeLessThan(1e-4); // sums of ~1600 terms in [-0.5, 0.5)
    for (let k = H; k < 2 * H; k++) expect(results[0][k]).toBe(base[k]); // an id that never occurs keeps its base
    for (const r of results.slice(1)) expect(Array.from(r)).toEqual(Array.from(results[0]));
  });
});
