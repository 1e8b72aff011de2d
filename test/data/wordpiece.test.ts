import { describe, expect, it } from 'vitest';
import { SPECIAL_TOKENS, makeTokenizer } from '../../src/data/tokenizer.js';
import { trainWordPieceVocab } from '../../src/data/wordpiece-train.js';
import { normalize } from '../../src/data/normalize.js';
import { preTokenize } from '../../src/data/pretokenize.js';

const specials = [...SPECIAL_TOKENS];

describe('trainWordPieceVocab', () => {
  it('learns the merges worked out by hand', () => {
    // Words: abc x3, ab x2, x x1. Alphabet (sorted): a b c x, then ##a ##b ##c ##x (ids 5..12).
    // Pair counts: (a,##b) = 3 + 2 = 5, (##b,##c) = 3  -> merge "ab" (id 13).
    // Then abc = [ab, ##c], ab = [ab]: (ab,##c) = 3     -> merge "abc" (id 14). No pairs remain.
    const vocab = trainWordPieceVocab(['abc abc abc ab ab x'], { vocabSize: 100 });
    expect(vocab).toEqual([...specials, 'a', 'b', 'c', 'x', '##a', '##b', '##c', '##x', 'ab', 'abc']);
  });

  it('breaks count ties by the smaller pair ids and respects vocabSize and minFrequency', () => {
    // ab x2 and cd x2: (a,##b) and (c,##d) both count 2; a (id 5) < c (id 7), so "ab" comes first.
    // vocabSize 5 + 8 + 1 = 14 leaves room for one merge only.
    expect(trainWordPieceVocab(['ab cd ab cd'], { vocabSize: 16 }).slice(13)).toEqual(['ab', 'cd']);
    expect(trainWordPieceVocab(['ab cd ab cd'], { vocabSize: 14 }).slice(13)).toEqual(['ab']);
    // Each pair occurs once: below minFrequency 2, nothing is merged.
    expect(trainWordPieceVocab(['ab cd'], { vocabSize: 100 })).toHaveLength(5 + 8);
    expect(trainWordPieceVocab(['ab cd'], { vocabSize: 100, minFrequency: 1 }).slice(13)).toEqual(['ab', 'cd']);
  });

  it('keeps punctuation as a word start only and caps the alphabet by frequency', () => {
    // "!" is always its own word: no "##!". Words aa x2, a, !, b x2: the pair (a,##a) occurs twice.
    expect(trainWordPieceVocab(['aa aa a! b b'], { vocabSize: 100 }).slice(5)).toEqual(['!', 'a', 'b', '##a', '##b', 'aa']);
    // Room for 16 - 5 = 11 alphabet pieces: q x9 (2), r x8 (2), s x7 (2), t x6 (2), u x5 (2) = 10, then
    // v needs 2 more: skipped; "!" x1 costs 1 and fits: 11.
    const text = 'qqqqqqqqq rrrrrrrr sssssss tttttt uuuuu vvvv !';
    const vocab = trainWordPieceVocab([text], { vocabSize: 16, minFrequency: 1000 });
    expect(vocab.slice(5)).toEqual(['!', 'q', 'r', 's', 't', 'u', '##q', '##r', '##s', '##t', '##u']);
  });

  it('does not depend on the order of the documents', () => {
    const docs = ['the union is strong', 'we the people', 'in order to form a more perfect union', 'strong people'];
    const a = trainWordPieceVocab(docs, { vocabSize: 60, minFrequency: 1 });
    const b = trainWordPieceVocab([...docs].reverse(), { vocabSize: 60, minFrequency: 1 });
    expect(b).toEqual(a);
  });

  it('rejects a bad vocabSize with the allowed range', () => {
    expect(() => trainWordPieceVocab(['a'], { vocabSize: 5 })).toThrow('vocabSize = 5 is invalid: expected an integer in [6, 1000000]');
  });
});

describe('WordPiece encoding', () => {
  // BERT's documented example: "unaffable" -> un ##aff ##able.
  const vocab = [...specials, 'un', '##aff', '##able', 'u', '##n', '##a', 'a', '##f', '##b', '##l', '##e', '!', ',', 'run', '##ning'];
  const tok = makeTokenizer(vocab);
  const id = (p: string) => vocab.indexOf(p);

  it('splits words greedily, longest match first', () => {
    expect(tok.encode('Unaffable!')).toEqual([id('un'), id('##aff'), id('##able'), id('!')]);
    // "running" -> run ##ning; "una" -> un ##a (longest first piece "un", then "##a").
    expect(tok.encode('running una')).toEqual([id('run'), id('##ning'), id('un'), id('##a')]);
  });

  it('maps a word with an unmatched part, or longer than 100 characters, to one [UNK]', () => {
    // "unz": "un" matches, then no piece for "##z" -> the whole word is [UNK].
    expect(tok.encode('unz a')).toEqual([1, id('a')]);
    expect(tok.encode('a'.repeat(100))).toEqual([id('a'), ...new Array(99).fill(id('##a'))]);
    expect(tok.encode('a'.repeat(101))).toEqual([1]);
  });

  it('keeps literal special tokens and wraps with [CLS] ... [SEP] on request', () => {
    expect(tok.encode('a [MASK] un', { addSpecialTokens: true })).toEqual([2, id('a'), 4, id('un'), 3]);
    // Case matters, as in `tokenizers` (special tokens are not normalised): "[mask]" is the words
    // "[", "mask", "]", none of which this vocabulary has: three [UNK] (id 1), not [MASK] (id 4).
    expect(tok.encode('[mask]')).toEqual([1, 1, 1]);
  });

  it('decodes with BERT spacing and round-trips the pre-tokenised text', () => {
    const ids = tok.encode('Unaffable running, a!');
    expect(tok.decode(ids, { cleanup: false })).toBe(preTokenize(normalize('Unaffable running, a!')).join(' '));
    // cleanup removes the space before "," and "!" (BERT's clean_up_tokenization).
    expect(tok.decode(ids)).toBe('unaffable running, a!');
    expect(tok.decode([2, id('a'), 3], { skipSpecialTokens: true })).toBe('a');
  });
});
