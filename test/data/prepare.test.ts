import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareData, validatePrepareOptions } from '../../src/data/prepare.js';
import { dataFingerprint } from '../../src/data/fingerprint.js';
import { readCache } from '../../src/data/cache.js';
import { WORDPIECE_TRAINER_VERSION } from '../../src/data/wordpiece-train.js';
import { loadSotuCorpus } from '../../src/data/corpus.js';

/** Fast equality of large id arrays (a deep toEqual over millions of elements is slow). */
const sameIds = (a: Int32Array, b: Int32Array) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-prepare-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('dataFingerprint', () => {
  it('changes with the text, the document boundaries and the spec, and only with them', () => {
    const base = dataFingerprint('spec', { train: ['ab', 'c'], heldout: ['d'] });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(dataFingerprint('spec', { heldout: ['d'], train: ['ab', 'c'] })).toBe(base); // key order is irrelevant
    expect(dataFingerprint('spec', { train: ['a', 'bc'], heldout: ['d'] })).not.toBe(base);
    expect(dataFingerprint('spec', { train: ['ab', 'c'], heldout: ['e'] })).not.toBe(base);
    expect(dataFingerprint('spec2', { train: ['ab', 'c'], heldout: ['d'] })).not.toBe(base);
  });
});

describe('prepareData on a user corpus', () => {
  // 40 short "documents" of made-up but repetitive text, in a folder.
  const corpusDir = path.join(root, 'corpus');
  fs.mkdirSync(corpusDir);
  const r = ['the union', 'is strong', 'we the people', 'of the states', 'in congress', 'assembled here'];
  for (let i = 0; i < 40; i++) {
    const text = Array.from({ length: 30 }, (_, j) => r[(i * 7 + j * 3) % r.length]).join(', ') + '.';
    fs.writeFileSync(path.join(corpusDir, `doc-${String(i).padStart(2, '0')}.txt`), text);
  }
  const cacheDir = path.join(root, 'cache');
  const options = { corpus: [corpusDir], vocabSize: 60, seqLen: 32, cacheDir };

  it('trains, encodes, caches, and reads back identical data from the cache', () => {
    const cold = prepareData(options);
    expect(cold.stats.cached).toBe(false);
    expect(cold.stats.documents.train + cold.stats.documents.heldout).toBe(41); // one document is cut in two
    expect(cold.tokenizer.vocabSize).toBeLessThanOrEqual(60);
    expect(cold.stats.unknownTokens.train).toBe(0);
    expect(cold.train.vocabSize).toBe(cold.tokenizer.vocabSize);
    // Row 0 is [CLS], the first 30 tokens of the first document, [SEP].
    const firstDoc = fs.readFileSync(path.join(corpusDir, 'doc-00.txt'), 'utf8');
    const expected = cold.tokenizer.encode(firstDoc).slice(0, 30);
    const { cls, sep } = cold.tokenizer.specialIds;
    expect([...cold.train.ids.subarray(0, 32)]).toEqual([cls, ...expected, sep]);

    const warm = prepareData(options);
    expect(warm.stats.cached).toBe(true);
    expect(warm.stats.cacheFile).toBe(cold.stats.cacheFile);
    expect(warm.fingerprint).toBe(cold.fingerprint);
    expect(warm.tokenizerJson).toBe(cold.tokenizerJson);
    expect(sameIds(warm.train.ids, cold.train.ids)).toBe(true);
    expect(sameIds(warm.heldout.ids, cold.heldout.ids)).toBe(true);
    expect(sameIds(warm.ood.ids, cold.ood.ids)).toBe(true);
  });

  it('ignores a corrupt or truncated cache entry and rebuilds it', () => {
    const first = prepareData(options);
    const file = first.stats.cacheFile as string;
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff; // flip one byte of the ids: the checksum no longer matches
    fs.writeFileSync(file, bytes);
    const key = { fingerprint: first.fingerprint, vocabSize: 60, trainer: WORDPIECE_TRAINER_VERSION };
    expect(readCache(cacheDir, key)).toBeUndefined();
    const rebuilt = prepareData(options);
    expect(rebuilt.stats.cached).toBe(false);
    expect(sameIds(rebuilt.train.ids, first.train.ids)).toBe(true);
    expect(readCache(cacheDir, key)).toBeDefined();

    fs.writeFileSync(file, bytes.subarray(0, 20)); // truncated
    expect(prepareData(options).stats.cached).toBe(false);
    // Another trainer version must not reuse the entry.
    expect(readCache(cacheDir, { ...key, trainer: 'other' })).toBeUndefined();
  });

  it('validates options, naming the bad value and the allowed range', () => {
    expect(() => validatePrepareOptions({ seqLen: 2 })).toThrow('seqLen = 2 is invalid: expected an integer in [3, 65536]');
    expect(() => validatePrepareOptions({ vocabSize: 1.5 })).toThrow('vocabSize = 1.5 is invalid');
    expect(() => validatePrepareOptions({ heldoutFraction: 1 })).toThrow('heldoutFraction = 1 is invalid: expected a number in (0, 1)');
    expect(validatePrepareOptions({})).toMatchObject({ corpus: 'sotu', vocabSize: 8192, seqLen: 128, heldoutFraction: 0.05 });
  });
});

describe('prepareData on the SOTU corpus', () => {
  it('prepares the real splits (vocab 2000, T 128) and reads them back from the cache', () => {
    const options = { vocabSize: 2000, seqLen: 128, cacheDir: path.join(root, 'sotu-cache') };
    const cold = prepareData(options);
    expect(cold.stats.documents).toEqual({ train: 212, heldout: 21, ood: 138 });
    expect(cold.tokenizer.vocabSize).toBe(2000);
    // Characters of normalised text; the raw corpus is ~10.8 MB in total.
    expect(cold.stats.characters.train).toBeGreaterThan(9_000_000);
    // English text in the training alphabet: [UNK] is rare everywhere (< 0.1% of tokens).
    for (const s of ['train', 'heldout', 'ood'] as const) {
      expect(cold.stats.unknownTokens[s]).toBeLessThan(cold.stats.tokens[s] / 1000);
    }
    // Rows hold 126 stream tokens each, minus skipped [SEP]s at row starts: rows = ceil(tokens / 126) or fewer.
    expect(cold.train.count).toBeLessThanOrEqual(Math.ceil(cold.stats.tokens.train / 126));
    expect(cold.train.count).toBeGreaterThan((cold.stats.tokens.train - 211) / 126 - 1);
    const warm = prepareData(options);
    expect(warm.stats.cached).toBe(true);
    expect(sameIds(warm.train.ids, cold.train.ids)).toBe(true);
    expect(warm.fingerprint).toBe(cold.fingerprint);
    expect(loadSotuCorpus().spec).toBe(cold.spec);
  });
});
