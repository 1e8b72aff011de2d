import { describe, expect, it } from 'vitest';
import { describeModel, modelFingerprint } from '../../src/schedule/model-info.js';
import { traceRecorder } from '../../src/schedule/trace.js';
import { decodeTrace, encodeTrace } from '../../src/schedule/trace-file.js';
import { PROBE, SHAPES, syntheticTrace } from './synthetic.js';
import { tokenizerFingerprint } from '../../src/data/fingerprint.js';
import { buildArtifact } from '../../src/schedule/artifact.js';
import { compressTrace } from '../../src/schedule/compress.js';
import { createHash } from 'node:crypto';

describe('traceRecorder', () => {
  it('computes ratio and c from the norms and marks invalid samples', () => {
    const model = describeModel('bert-mlm', {}, { a: [2, 3], b: [4] });
    const rec = traceRecorder({ model, probe: PROBE });
    // group a: ratio = 6 / 3 = 2; c = 6 / (0.5 * 4) = 3.
    // group b: uSgdNorm = 0 -> invalid, ratio and c NaN (never 0 or Infinity).
    rec.record({
      step: 0,
      loss: 4,
      eta: 0.5,
      groups: { a: { uAdamNorm: 6, uSgdNorm: 3, gradNorm: 4 }, b: { uAdamNorm: 1, uSgdNorm: 0, gradNorm: 1 } },
    });
    // eta = 0 (start of a warm-up): both invalid.
    rec.record({
      step: 1,
      loss: 3,
      eta: 0,
      groups: { a: { uAdamNorm: 6, uSgdNorm: 3, gradNorm: 4 }, b: { uAdamNorm: 1, uSgdNorm: 1, gradNorm: 1 } },
    });
    const t = rec.finish();
    expect([...t.steps]).toEqual([0, 1]);
    expect(t.ratio[0]).toBe(2);
    expect(t.c[0]).toBe(3);
    expect([...t.valid]).toEqual([1, 0, 0, 0]);
    expect(Number.isNaN(t.c[1]) && Number.isNaN(t.ratio[1]) && Number.isNaN(t.c[2])).toBe(true);
    expect([...t.uSgdNorm]).toEqual([3, 0, 3, 1]); // raw norms are kept as measured
  });

  it('refuses missing groups and out-of-order steps', () => {
    const model = describeModel('bert-mlm', {}, { a: [1], b: [1] });
    const rec = traceRecorder({ model, probe: PROBE });
    const n = { uAdamNorm: 1, uSgdNorm: 1, gradNorm: 1 };
    expect(() => rec.record({ step: 0, loss: 1, eta: 1, groups: { a: n } })).toThrow('lacks group "b"');
    rec.record({ step: 3, loss: 1, eta: 1, groups: { a: n, b: n } });
    expect(() => rec.record({ step: 3, loss: 1, eta: 1, groups: { a: n, b: n } })).toThrow('not after the previous step 3');
  });
});

describe('model description', () => {
  it('orders parameters by name, merges groups, and fingerprints names + shapes', () => {
    const m = describeModel('x', {}, { 'b.w': [2, 3], 'a.w': [4], 'b.v': [5] }, (n) => n.split('.')[0]);
    expect(m.params.map((p) => p.name)).toEqual(['a.w', 'b.v', 'b.w']);
    // group b holds b.v (5) and b.w (2*3 = 6): size 11, shape [11]; group a is one tensor, shape [4].
    expect(m.groups).toEqual([
      { name: 'a', shape: [4], size: 4, params: ['a.w'] },
      { name: 'b', shape: [11], size: 11, params: ['b.v', 'b.w'] },
    ]);
    // Independent reference: sha256 of the documented text form.
    const ref = createHash('sha256').update('a.w:4\nb.v:5\nb.w:2x3\n').digest('hex');
    expect(m.fingerprint).toBe(`sha256:${ref}`);
    expect(modelFingerprint({ 'b.w': [3, 2], 'a.w': [4], 'b.v': [5] })).not.toBe(m.fingerprint);
  });
});

describe('trace file', () => {
  it("round-trips the probe's corpus, tokenizer and vocabulary, and builds an artifact that carries them", () => {
    const tokens = ['[PAD]', '[UNK]', 'whale', '##s'];
    const t = syntheticTrace(() => 2);
    t.meta = {
      ...t.meta,
      probe: { ...t.meta.probe, corpus: 'moby-dick: ...', tokenizer: { fingerprint: tokenizerFingerprint(tokens), vocabSize: 4 } },
    };
    t.vocabulary = { tokens, counts: Int32Array.from([0, 1, 50, 9]) };
    const back = decodeTrace(encodeTrace(t));
    expect(back.meta.probe.corpus).toBe('moby-dick: ...');
    expect(back.meta.probe.tokenizer).toEqual({ fingerprint: tokenizerFingerprint(tokens), vocabSize: 4 });
    expect(back.vocabulary).toEqual(t.vocabulary);
    const a = buildArtifact({ trace: back, compressed: compressTrace(back) });
    expect(a.vocabulary).toEqual(t.vocabulary);
    expect(decodeTrace(encodeTrace(syntheticTrace(() => 2))).vocabulary).toBeUndefined();
  });

  it('round-trips every column bit-exactly', () => {
    const t = syntheticTrace((g, s) => 1 + s * 0.123 + g.length / 7, { invalid: (g, s) => s % 11 === 3 && g.length > 25 });
    const back = decodeTrace(encodeTrace(t));
    expect(back.meta).toEqual(t.meta);
    for (const k of ['steps', 'loss', 'eta', 'uAdamNorm', 'uSgdNorm', 'gradNorm', 'ratio', 'c', 'valid'] as const) {
      expect(Buffer.from(back[k].buffer).equals(Buffer.from(t[k].buffer))).toBe(true);
    }
    expect(t.valid.includes(0)).toBe(true); // NaN entries were part of the round trip
    expect(Object.keys(SHAPES).length).toBe(back.meta.model.groups.length);
  });

  it('round-trips the stability limits, Infinity and NaN included, and checks their length and sign', () => {
    const t = syntheticTrace(() => 1);
    const G = t.meta.model.groups.length;
    const col = (f: (g: number) => number) => Float64Array.from({ length: G }, (_, g) => f(g));
    const stability = {
      batches: 4,
      stepLength: col((g) => 0.01 * (g + 1)),
      slope: col((g) => g + 0.5),
      curvature: col((g) => (g === 0 ? -1 : g)),
      limit: col((g) => (g === 0 ? Infinity : g === 1 ? NaN : 2 / g)),
    };
    t.stability = stability;
    const back = decodeTrace(encodeTrace(t)).stability!;
    expect(back.batches).toBe(4);
    for (const k of ['stepLength', 'slope', 'curvature', 'limit'] as const) expect(Array.from(back[k])).toEqual(Array.from(stability[k]));
    expect(() => decodeTrace(encodeTrace({ ...t, stability: { ...stability, limit: stability.limit.subarray(1) } }))).toThrow(
      /stability.limit: shape \[\d+\] is not the expected \[\d+\]/,
    );
    expect(() => decodeTrace(encodeTrace({ ...t, stability: { ...stability, limit: col(() => -1) } }))).toThrow(/stability.limit holds -1/);
  });

  it('rejects a truncated trace and a schedule artifact given as a trace', () => {
    const bytes = encodeTrace(syntheticTrace(() => 1));
    expect(() => decodeTrace(bytes.subarray(0, bytes.length - 10))).toThrow(/probe trace is not readable msgpack \(truncated/);
    const flipped = Uint8Array.from(bytes);
    flipped[bytes.length - 200] ^= 0x10; // inside the last data column
    expect(() => decodeTrace(flipped)).toThrow(/probe trace checksum mismatch/);
  });
});
