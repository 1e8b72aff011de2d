/**
 * Re-indexing token-indexed preconditioner entries for another tokenizer (src/schedule/token-remap.ts), on
 * hand-made vocabularies with the expected rows worked out by hand, and the vocabulary's wire form.
 */
import { describe, expect, it } from 'vitest';
import { tokenizerFingerprint } from '../../src/data/fingerprint.js';
import {
  byFrequency,
  frequencyCurve,
  frequencyRanks,
  remapPreconditioner,
  tokenEntryMap,
  tokenSources,
  TOKEN_INDEXED,
} from '../../src/schedule/token-remap.js';
import type { Preconditioner } from '../../src/schedule/second-moments.js';
import { packVocabulary, unpackVocabulary } from '../../src/schedule/vocabulary.js';
import { FieldChecker } from '../../src/schedule/validate.js';

// The probe's vocabulary: ids 0..5, counts give the frequency order the, ##s, of, cat, [UNK], [PAD].
const probe = { tokens: ['[PAD]', '[UNK]', 'the', 'of', 'cat', '##s'], counts: Int32Array.from([0, 1, 90, 50, 5, 70]) };

describe('frequencyRanks / byFrequency', () => {
  it('puts the most frequent id first and breaks ties by the lower id', () => {
    expect([...byFrequency(probe.counts)]).toEqual([2, 5, 3, 4, 1, 0]);
    expect([...frequencyRanks(probe.counts)]).toEqual([5, 4, 0, 2, 3, 1]);
    expect([...byFrequency([3, 7, 3, 7])]).toEqual([1, 3, 0, 2]);
  });
});

describe('tokenSources', () => {
  it('takes a shared piece by string, in whatever id the run gives it', () => {
    const run = { tokens: ['[PAD]', '[UNK]', '##s', 'cat', 'of', 'the'], counts: [0, 0, 1, 2, 3, 4] };
    const { source, byString, byRank } = tokenSources(probe, run);
    expect([...source]).toEqual([0, 1, 5, 4, 3, 2]);
    expect([byString, byRank]).toEqual([6, 0]);
  });

  it('takes a piece the probe lacks from the probe token of the same frequency rank', () => {
    // run ranks: whale 0 (100), the 1 (80), sea 2 (60), ##ing 3 (20), [UNK] 4 (1), [PAD] 5 (0)
    const run = { tokens: ['[PAD]', '[UNK]', 'the', 'whale', 'sea', '##ing'], counts: [0, 1, 80, 100, 60, 20] };
    const { source, byString, byRank } = tokenSources(probe, run);
    // whale: rank 0 -> probe rank 0 = "the" (id 2); sea: rank 2 -> probe rank 2 = "of" (id 3); ##ing: rank 3 -> "cat" (id 4)
    expect([...source]).toEqual([0, 1, 2, 2, 3, 4]);
    expect([byString, byRank]).toEqual([3, 3]);
  });

  it("with match 'rank' takes every token, shared pieces too, from the probe token of the same frequency rank", () => {
    // run ranks: the 0 (100), whale 1 (80), of 2 (60), ##ing 3 (20), [UNK] 4 (1), [PAD] 5 (0)
    const run = { tokens: ['[PAD]', '[UNK]', 'the', 'whale', 'of', '##ing'], counts: [0, 1, 100, 80, 60, 20] };
    const { source, byString, byRank } = tokenSources(probe, run, 'rank');
    // probe by rank: the (2), ##s (5), of (3), cat (4), [UNK] (1), [PAD] (0)
    expect([...source]).toEqual([0, 1, 2, 5, 3, 4]);
    expect([byString, byRank]).toEqual([0, 6]);
    // where a shared piece is far more frequent in the run, the two differ: "of" is the run's most frequent token
    const skewed = { tokens: ['[PAD]', '[UNK]', 'the', 'of'], counts: [0, 1, 10, 100] }; // ranks: of 0, the 1, [UNK] 2, [PAD] 3
    expect([...tokenSources(probe, skewed).source]).toEqual([0, 1, 2, 3]); // by string
    // by rank, floor(r * 6 / 4): [PAD] 4 -> [UNK] (1), [UNK] 3 -> cat (4), the 1 -> ##s (5), of 0 -> the (2)
    expect([...tokenSources(probe, skewed, 'rank').source]).toEqual([1, 4, 5, 2]);
  });

  it('scales ranks when the vocabularies differ in size: floor(rank * V_probe / V_run)', () => {
    const run = { tokens: ['a', 'b', 'c'], counts: [1, 3, 2] }; // ranks: b 0, c 1, a 2 -> probe ranks 0, 2, 4
    const { source } = tokenSources(probe, run);
    expect([...source]).toEqual([1, 2, 3]); // a: probe rank 4 = [UNK] (1); b: rank 0 = the (2); c: rank 2 = of (3)
  });
});

// Hand-worked: probe shares (n + 1/2) / 216 sorted: [PAD] .0023, [UNK] .0069, cat .0255, of .2338, ##s .3264, the .4190;
// with entries 1..6 by id (the 3, of 4, cat 5, ##s 6) the sorted entries are 1, 2, 5, 4, 6, 3.
describe('frequencyCurve', () => {
  const entries = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const curve = frequencyCurve(entries, probe.counts, 3);

  it('takes the median entry of the K probe tokens nearest in log share, the window kept inside the vocabulary', () => {
    expect(curve(Math.log(50.5 / 216))).toBe(5); // at "of": cat 5, of 4, ##s 6
    expect(curve(0)).toBe(4); // above every token: of 4, ##s 6, the 3
    expect(curve(Math.log(1e-9))).toBe(2); // below every token: [PAD] 1, [UNK] 2, cat 5
  });

  it('takes every token when K exceeds the vocabulary', () => {
    expect(frequencyCurve(entries, probe.counts, 25)(0)).toBe(3.5);
  });
});

describe('tokenEntryMap', () => {
  const entries = Float32Array.from([1, 2, 3, 4, 5, 6]);

  it("'frequency': a shared piece moves with its share here, entry * curve(f_run) / curve(f_probe); a new one takes curve(f_run)", () => {
    // run shares (n + 1/2) / 181: [PAD] .0028, [UNK] .0083, the .4448, whale .5552
    const run = { tokens: ['[PAD]', '[UNK]', 'the', 'whale'], counts: [0, 1, 80, 100] };
    const { map, byString, byFrequency } = tokenEntryMap(probe, run, 'frequency', 3);
    // [PAD]: 1 * curve(.0028) / curve(.0023) = 1 * 2 / 2; [UNK]: 2 * curve(.0083) / curve(.0069) = 2 * 4 / 2 (its window moves
    // up one token: [UNK] 2, cat 5, of 4); the: 3 * 4 / 4; whale: curve(.5552) = 4
    expect([...map(entries)]).toEqual([1, 4, 3, 4]);
    expect([byString, byFrequency]).toEqual([3, 1]);
  });

  it('keeps the entries of the same vocabulary with the same counts', () => {
    expect([...tokenEntryMap(probe, probe).map(entries)]).toEqual([...entries]);
  });

  it("'string-median' fills a piece the probe lacks with the upper median entry; 'string' and 'rank' gather through tokenSources", () => {
    const run = { tokens: ['whale', 'the'], counts: [5, 9] };
    expect([...tokenEntryMap(probe, run, 'string-median').map(entries)]).toEqual([4, 3]); // sorted 1..6: element 3 is 4
    const { source } = tokenSources(probe, run, 'rank');
    expect([...tokenEntryMap(probe, run, 'rank').map(entries)]).toEqual(Array.from(source, (i) => entries[i]));
  });
});

describe('remapPreconditioner', () => {
  const pre: Preconditioner = {
    kind: 'factored',
    epsRatio: 0.5,
    step: 10,
    beta2: 0.999,
    params: {
      'embeddings.word_embeddings': { rows: Float32Array.from([10, 11, 12, 13, 14, 15]), cols: Float32Array.from([1, 2]), eps: 0.1 },
      'cls.predictions.bias': { values: Float32Array.from([20, 21, 22, 23, 24, 25]), eps: 0.2 },
      'embeddings.position_embeddings': { rows: Float32Array.from([30, 31]), cols: Float32Array.from([1, 2]), eps: 0.3 },
    },
  };

  it("maps the word embeddings' rows and the output bias, and leaves the rest alone", () => {
    const { preconditioner, params } = remapPreconditioner(pre, (e) => Float32Array.from([e[0], e[1], e[2], e[2], e[3], e[4]]));
    expect(params).toEqual(Object.keys(TOKEN_INDEXED));
    const word = preconditioner.params['embeddings.word_embeddings'] as { rows: Float32Array; cols: Float32Array; eps: number };
    expect([...word.rows]).toEqual([10, 11, 12, 12, 13, 14]);
    expect([...word.cols]).toEqual([1, 2]);
    expect(word.eps).toBe(0.1);
    expect([...(preconditioner.params['cls.predictions.bias'] as { values: Float32Array }).values]).toEqual([20, 21, 22, 22, 23, 24]);
    expect(preconditioner.params['embeddings.position_embeddings']).toBe(pre.params['embeddings.position_embeddings']);
    expect([...(pre.params['cls.predictions.bias'] as { values: Float32Array }).values]).toEqual([20, 21, 22, 23, 24, 25]); // not mutated
  });
});

describe('the vocabulary wire form', () => {
  const check = new FieldChecker('schedule artifact', 're-run extract');

  it('round-trips pieces and counts, checked against the tokenizer fingerprint', () => {
    const wire = packVocabulary(probe);
    const back = unpackVocabulary(check, wire, tokenizerFingerprint(probe.tokens));
    expect(back.tokens).toEqual(probe.tokens);
    expect([...back.counts]).toEqual([...probe.counts]);
  });

  it('refuses pieces that do not match the fingerprint, a wrong size, and a piece with a line break', () => {
    const wire = packVocabulary(probe);
    expect(() => unpackVocabulary(check, wire, tokenizerFingerprint(['other']))).toThrow(
      'schedule artifact field vocabulary.tokens do not match probe.tokenizer.fingerprint: re-run extract',
    );
    expect(() => unpackVocabulary(check, { ...wire, size: 7 }, undefined)).toThrow('must hold 7 pieces');
    expect(() => unpackVocabulary(check, { ...wire, counts: new Uint8Array([1, 2, 3]) }, undefined)).toThrow('is not readable zlib data');
    expect(() => packVocabulary({ tokens: ['a\nb'], counts: Int32Array.from([1]) })).toThrow('holds a line break');
  });
});
