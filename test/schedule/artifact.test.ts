import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { pack, unpack } from 'msgpackr';
import {
  buildArtifact,
  checkArtifactMatchesModel,
  decodeArtifact,
  encodeArtifact,
  type ArtifactBody,
} from '../../src/schedule/artifact.js';
import { checksumOf, encodeContainer, packArray, unpackArray } from '../../src/formats/codec.js';
import { compressTrace } from '../../src/schedule/compress.js';
import { TOOL } from '../../src/schedule/tool.js';
import { encodeTrace } from '../../src/schedule/trace-file.js';
import { bertShapes, fixtureArtifact } from '../fixtures/fixture-artifact.js';
import { syntheticTrace } from './synthetic.js';
import { tokenizerFingerprint } from '../../src/data/fingerprint.js';

const FIXTURE_FILE = new URL('../fixtures/schedule-v1.graft', import.meta.url);

/** Deterministic uniform numbers in (0, 1) (Park-Miller), independent of the library. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('encode/decode', () => {
  it('round-trips the fixture exactly, and re-encoding gives the same bytes', () => {
    const a = fixtureArtifact();
    const bytes = encodeArtifact(a);
    const back = decodeArtifact(bytes);
    expect({ ...back, checksum: undefined }).toEqual({ ...a, checksum: undefined });
    expect(back.checksum).toBe(checksumOf(unpackForChecksum(bytes)));
    expect(bytesOf(encodeArtifact(back)).equals(bytesOf(bytes))).toBe(true);
  });

  it('still reads the committed version-1 file', () => {
    const back = decodeArtifact(fs.readFileSync(FIXTURE_FILE));
    expect({ ...back, checksum: undefined }).toEqual({ ...fixtureArtifact(), checksum: undefined });
  });

  it('round-trips real float32 and float64 data bit-exactly (guards the msgpackr Float32Array bug)', () => {
    // msgpackr 2.1.3 and 1.11.x corrupt packed Float32Array bytes; >= 2.1.4 is required.
    const [major, minor, patch] = JSON.parse(fs.readFileSync('node_modules/msgpackr/package.json', 'utf8')).version.split('.').map(Number);
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(2_001_004);
    const rnd = lcg(12345);
    const a = fixtureArtifact();
    const G = a.model.groups.length,
      m = 257;
    a.trace = {
      stepsPerPoint: 3,
      fraction: Float64Array.from({ length: m }, () => rnd() * 1e-3 + rnd() * 1e-12),
      loss: Float32Array.from({ length: m }, () => 1 + 10 * rnd()),
      c: Float32Array.from({ length: m * G }, () => Math.exp(20 * (rnd() - 0.5))),
    };
    const back = decodeArtifact(encodeArtifact(a)).trace!;
    expect(bytesOf(back.fraction).equals(bytesOf(a.trace.fraction))).toBe(true);
    expect(bytesOf(back.loss).equals(bytesOf(a.trace.loss))).toBe(true);
    expect(bytesOf(back.c).equals(bytesOf(a.trace.c))).toBe(true);
    // The array record itself, straight through msgpackr, from a view with a nonzero offset.
    const big = Float32Array.from({ length: 100 }, () => rnd());
    const view = big.subarray(37, 91);
    const rec = unpack(pack(packArray(view, [6, 9])));
    expect(rec.shape).toEqual([6, 9]);
    expect(bytesOf(unpackArray(rec, 'x')).equals(bytesOf(view))).toBe(true);
  });

  it('builds an artifact from a trace with a hand-checkable downsampled trace', () => {
    // Steps 0..9 of 1000 with c = 2^t. At most 4 points: 3 steps per point, buckets {0,1,2} {3,4,5} {6,7,8} {9}.
    // Each point: exp(median ln c) = 2^(middle step), fraction = mean step / 1000.
    const trace = syntheticTrace((g, t) => 2 ** t, { steps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    const a = buildArtifact({ trace, compressed: compressTrace(trace), createdAt: '2025-01-01T00:00:00Z', traceMaxPoints: 4 });
    const G = trace.meta.model.groups.length;
    expect(a.trace!.stepsPerPoint).toBe(3);
    expect([...a.trace!.fraction]).toEqual([0.001, 0.004, 0.007, 0.009]);
    expect([0, 1, 2, 3].map((j) => a.trace!.c[j * G])).toEqual([2, 16, 128, 512]);
    // loss = 5 - t / 100 (synthetic.ts): bucket means 4.99, 4.96, 4.93, 4.91 as float32.
    expect([...a.trace!.loss]).toEqual([4.99, 4.96, 4.93, 4.91].map(Math.fround));
    const back = decodeArtifact(encodeArtifact(a));
    expect(back.groups).toEqual(a.groups);
    expect(back.compression).toEqual(a.compression);
    expect(buildArtifact({ trace, compressed: compressTrace(trace), traceMaxPoints: 0 }).trace).toBeUndefined();
  });

  it("round-trips the probe's corpus, tokenizer and vocabulary byte-exactly, and refuses a vocabulary of another tokenizer", () => {
    const tokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', '##s', 'état'];
    const a: ArtifactBody = {
      ...fixtureArtifact(),
      probe: {
        ...fixtureArtifact().probe,
        corpus: 'files: heldout = last 0.05',
        tokenizer: { fingerprint: tokenizerFingerprint(tokens), vocabSize: 8 },
      },
      vocabulary: { tokens, counts: Int32Array.from([0, 3, 10, 10, 0, 500, 7, 1]) },
    };
    const bytes = encodeArtifact(a);
    const back = decodeArtifact(bytes);
    expect({ ...back, checksum: undefined }).toEqual({ ...a, checksum: undefined });
    expect(bytesOf(encodeArtifact(back)).equals(bytesOf(bytes))).toBe(true);
    const other = { ...a, probe: { ...a.probe, tokenizer: { fingerprint: tokenizerFingerprint(['x']), vocabSize: 8 } } };
    expect(() => decodeArtifact(encodeArtifact(other))).toThrow('field vocabulary.tokens do not match probe.tokenizer.fingerprint');
    // An older file has none of these fields and decodes without them.
    const old = decodeArtifact(fs.readFileSync(FIXTURE_FILE));
    expect([old.probe.corpus, old.probe.tokenizer, old.vocabulary]).toEqual([undefined, undefined, undefined]);
  });

  it('records the tool version of package.json', () => {
    expect(TOOL.version).toBe(JSON.parse(fs.readFileSync('package.json', 'utf8')).version);
  });
});

/** The stored body minus checksum, as a Python reader would see it. */
function unpackForChecksum(bytes: Uint8Array): Record<string, unknown> {
  const { checksum: _, ...body } = unpack(bytes);
  return body;
}

describe('corrupted or foreign files', () => {
  const good = encodeArtifact(fixtureArtifact());
  const remedy = 're-run extract or copy the file again';

  it('rejects a truncated file', () => {
    expect(() => decodeArtifact(good.subarray(0, 5000))).toThrow(
      `schedule artifact is not readable msgpack (truncated or corrupted: Unexpected end of MessagePack data): ${remedy}`,
    );
    expect(() => decodeArtifact(new Uint8Array(0))).toThrow(/not readable msgpack/);
  });

  it('rejects a bit flip in the data with a checksum mismatch', () => {
    const bad = Uint8Array.from(good);
    bad[good.length - 300] ^= 0x04; // inside trace.c
    expect(() => decodeArtifact(bad)).toThrow(
      /^schedule artifact checksum mismatch \(stored [0-9a-f]{12}, computed [0-9a-f]{12}\): the file is corrupted; re-run extract or copy the file again$/,
    );
  });

  it('rejects a single bit flip anywhere in the file', () => {
    // A 4-group artifact without trace (~2 KB): every byte is structure, a key or a value.
    const trace = syntheticTrace((g, t) => 1 + t / 50, { steps: [0, 10, 20, 30] });
    const bytes = encodeArtifact(
      buildArtifact({ trace, compressed: compressTrace(trace, { method: 'piecewise', knots: 3 }), traceMaxPoints: 0 }),
    );
    let rejected = 0;
    for (let i = 0; i < bytes.length; i++) {
      const bad = Uint8Array.from(bytes);
      bad[i] ^= 1 << (i % 8);
      try {
        decodeArtifact(bad);
      } catch (err) {
        if ((err as Error).message.includes('artifact')) rejected++;
      }
    }
    expect(rejected).toBe(bytes.length);
  });

  it('rejects another kind of file (wrong magic)', () => {
    expect(() => decodeArtifact(encodeTrace(syntheticTrace(() => 1)))).toThrow(
      'not a schedule artifact: expected format "graftlr.schedule" but its format is "graftlr.trace": pass a file written by graftlr',
    );
    expect(() => decodeArtifact(pack([1, 2, 3]))).toThrow(
      'not a schedule artifact: expected format "graftlr.schedule" but it has no format field',
    );
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(() => decodeArtifact(png)).toThrow(/schedule artifact|not a schedule artifact/);
  });

  it('rejects a newer version with "upgrade"', () => {
    const { checksum: _, ...body } = unpack(good);
    const future = encodeContainer({ ...body, version: 3, newField: 'x' });
    expect(() => decodeArtifact(future)).toThrow(
      'schedule artifact version 3 was made by a newer graftlr (this one reads version 2): upgrade graftlr',
    );
  });

  it('rejects an edited field whose checksum was not updated', () => {
    const obj = unpack(good);
    obj.groups['cls.predictions.bias'].constant = 1000;
    expect(() => decodeArtifact(pack(obj))).toThrow(/^schedule artifact checksum mismatch/);
  });

  it('rejects wrong types even with a valid checksum, naming the field', () => {
    const { checksum: _, ...body } = unpack(good);
    body.groups['cls.predictions.bias'].constant = -2;
    expect(() => decodeArtifact(encodeContainer(body))).toThrow(
      'schedule artifact field groups.cls.predictions.bias.constant must be > 0, got -2: the file is corrupted or was not written by graftlr; re-run extract',
    );
    const { checksum: __, ...body2 } = unpack(good);
    body2.model.params[0].shape = [17];
    expect(() => decodeArtifact(encodeContainer(body2))).toThrow(
      'schedule artifact field model.params gives "cls.predictions.bias" size 16 but shape [17]',
    );
    Object.assign(body2.model.params[0], { size: 17 });
    Object.assign(body2.model.groups[0], { shape: [17], size: 17 }); // consistent, but not the model the fingerprint names
    expect(() => decodeArtifact(encodeContainer(body2))).toThrow('schedule artifact field model.fingerprint does not match model.params');
    const { checksum: ___, ...body3 } = unpack(good);
    body3.groups['cls.predictions.bias'] = {
      knots: [
        [0.5, 1],
        [0.25, 2],
      ],
      spread: body3.groups['cls.predictions.bias'].spread,
    };
    expect(() => decodeArtifact(encodeContainer(body3))).toThrow(
      'field groups.cls.predictions.bias.knots fractions must increase, but knot 1 (0.25) follows 0.5',
    );
  });
});

describe('checkArtifactMatchesModel', () => {
  const a: ArtifactBody = fixtureArtifact();

  it('accepts the same names and shapes in any key order', () => {
    const shapes = bertShapes();
    const reversed = Object.fromEntries(Object.entries(shapes).reverse());
    expect(() => checkArtifactMatchesModel(a, reversed)).not.toThrow();
  });

  it('lists the differing groups and says to re-run extract', () => {
    const shapes = bertShapes({ ...fixtureArtifact().model.config, vocabSize: 32 } as ReturnType<typeof bertShapes> & never);
    expect(() => checkArtifactMatchesModel(a, shapes)).toThrow(
      /^artifact was made for model fingerprint [0-9a-f]{12}, this model is [0-9a-f]{12}: re-run extract \("cls\.predictions\.bias" is \[32\] in this model but \[16\] in the artifact; "embeddings\.word_embeddings" is \[32,4\] in this model but \[16,4\] in the artifact\)$/,
    );
    const fewer = { ...bertShapes() };
    delete fewer['cls.predictions.bias'];
    fewer['pooler.dense.kernel'] = [4, 4];
    expect(() => checkArtifactMatchesModel(a, fewer)).toThrow(
      /re-run extract \("cls\.predictions\.bias" \[16\] is missing from this model; "pooler\.dense\.kernel" \[4,4\] is not in the artifact\)$/,
    );
  });
});
