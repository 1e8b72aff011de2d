/**
 * Deterministic WordPiece vocabulary training (the merge-learning scheme `tokenizers`' WordPiece
 * trainer uses, which is BPE with a '##' continuation prefix):
 *
 *   1. count words (pretokenize.ts) over the normalised training texts;
 *   2. alphabet: every character seen, as a word start "c" and, unless it is punctuation/CJK (always
 *      a word of its own), as a continuation "##c"; if that overflows the vocabulary, the most
 *      frequent characters are kept;
 *   3. write each word as alphabet symbols: "the" -> [t, ##h, ##e];
 *   4. repeat until the vocabulary is full: merge the adjacent symbol pair (x, ##y) with the highest
 *      total count (count = sum over words of occurrences x word frequency; ties: smaller ids first)
 *      into the new piece "xy"; stop early when no pair occurs `minFrequency` times.
 *
 * Vocabulary order: the 5 special tokens, the alphabet (word starts, then continuations, each in
 * code-unit order), then the merged pieces in the order they were learned.
 *
 * Speed: pair counts are updated only in the words that contain the merged pair, and the best pair
 * comes from a max-heap with lazy deletion: every change of a pair's count pushes an entry with the
 * new count, and a popped entry whose count is no longer current is dropped. So the first current
 * entry popped is the true maximum, and the total (count, key) order makes ties deterministic.
 */
import { checkInt } from '../core/options/validate.js';
import { forEachWord, isIsolatedChar } from './pretokenize.js';
import { PairHeap } from './pair-heap.js';
import { CONTINUATION_PREFIX, MAX_CHARS_PER_WORD, SPECIAL_TOKENS, makeTokenizer, type Tokenizer } from './tokenizer.js';

export interface WordPieceTrainOptions {
  /** Total vocabulary size including the 5 special tokens (default 8192; allowed 6..1000000). */
  vocabSize?: number;
  /** A pair must occur at least this many times to be merged (default 2; allowed >= 1). */
  minFrequency?: number;
}

/** Bump when the training algorithm changes: cached vocabularies of older versions are rebuilt. */
export const WORDPIECE_TRAINER_VERSION = 'wordpiece-bpe-merge-v1';

const PAIR_SHIFT = 2 ** 21; // pair key = left * 2^21 + right; ids stay below 2^20

/** Train a WordPiece vocabulary (id -> piece) on already-normalised texts. */
export function trainWordPieceVocab(normalizedTexts: Iterable<string>, options: WordPieceTrainOptions = {}): string[] {
  const vocabSize = options.vocabSize ?? 8192;
  const minFrequency = options.minFrequency ?? 2;
  checkInt(undefined, 'vocabSize', vocabSize, 6, 1_000_000);
  checkInt(undefined, 'minFrequency', minFrequency, 1);
  // 1. Word counts.
  const wordCounts = new Map<string, number>();
  for (const text of normalizedTexts) forEachWord(text, (w) => wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1));

  // 2. Alphabet.
  const vocab: string[] = [...SPECIAL_TOKENS];
  const ids = new Map<string, number>(vocab.map((p, i) => [p, i]));
  const alphabet = chooseAlphabet(wordCounts, vocabSize - vocab.length);
  const starts = [...alphabet].sort();
  const continuations = starts.filter((c) => !isIsolatedChar(c)).map((c) => CONTINUATION_PREFIX + c);
  for (const piece of [...starts, ...continuations]) {
    ids.set(piece, vocab.length);
    vocab.push(piece);
  }

  // 3. Words as symbol ids (words with a character outside the alphabet cannot be encoded: skipped).
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    const chars = [...word];
    if (chars.length > MAX_CHARS_PER_WORD || !chars.every((c) => alphabet.has(c))) continue;
    words.push(Int32Array.from(chars, (c, i) => ids.get(i === 0 ? c : CONTINUATION_PREFIX + c) as number));
    freqs.push(count);
  }

  // Pair counts and, per pair, the words that (may) contain it.
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const addPairs = (w: number, sign: number, changed?: Set<number>): void => {
    const s = words[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * PAIR_SHIFT + s[i + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * freqs[w]);
      changed?.add(key);
    }
  };
  for (let w = 0; w < words.length; w++) {
    addPairs(w, +1);
    const s = words[w];
    for (let i = 0; i + 1 < s.length; i++) listWord(pairWords, s[i] * PAIR_SHIFT + s[i + 1], w);
  }
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  // 4. Merges.
  const seen = new Int32Array(words.length).fill(-1); // last merge that visited each word
  for (let merge = 0; vocab.length < vocabSize; merge++) {
    const best = popBest(heap, pairCounts);
    if (best === undefined || best.count < minFrequency) break;
    const left = Math.floor(best.key / PAIR_SHIFT);
    const right = best.key % PAIR_SHIFT;
    const piece = vocab[left] + vocab[right].slice(CONTINUATION_PREFIX.length);
    let merged = ids.get(piece);
    if (merged === undefined) {
      merged = vocab.length;
      ids.set(piece, merged);
      vocab.push(piece);
    }
    const changed = new Set<number>();
    for (const w of pairWords.get(best.key) ?? []) {
      if (seen[w] === merge) continue;
      seen[w] = merge;
      const next = mergeSymbols(words[w], left, right, merged);
      if (next === words[w]) continue; // a stale listing: the pair is gone from this word
      addPairs(w, -1, changed);
      words[w] = next;
      addPairs(w, +1, changed);
      for (let i = 0; i + 1 < next.length; i++) {
        if (next[i] === merged || next[i + 1] === merged) listWord(pairWords, next[i] * PAIR_SHIFT + next[i + 1], w);
      }
    }
    pairWords.delete(best.key);
    for (const key of changed) {
      const count = pairCounts.get(key) ?? 0;
      if (count > 0) heap.push(count, key);
      else pairCounts.delete(key);
    }
  }
  return vocab;
}

/** Train and wrap in a tokenizer (see `trainWordPieceVocab`). */
export function trainWordPiece(normalizedTexts: Iterable<string>, options: WordPieceTrainOptions = {}): Tokenizer {
  return makeTokenizer(trainWordPieceVocab(normalizedTexts, options));
}

/** The most frequent characters whose pieces fit in `room` vocabulary slots (ties: code-unit order). */
function chooseAlphabet(wordCounts: Map<string, number>, room: number): Set<string> {
  const charCounts = new Map<string, number>();
  for (const [word, count] of wordCounts) for (const c of word) charCounts.set(c, (charCounts.get(c) ?? 0) + count);
  const byFrequency = [...charCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const alphabet = new Set<string>();
  let used = 0;
  for (const [c] of byFrequency) {
    const cost = isIsolatedChar(c) ? 1 : 2; // "c" and "##c"
    if (used + cost > room) continue;
    alphabet.add(c);
    used += cost;
  }
  return alphabet;
}

/** Pop until an entry's count is current (stale entries are dropped); undefined when the heap runs dry. */
function popBest(heap: PairHeap, pairCounts: Map<number, number>): { count: number; key: number } | undefined {
  for (;;) {
    const top = heap.pop();
    if (top === undefined || (pairCounts.get(top.key) ?? 0) === top.count) return top;
  }
}

/** Replace each non-overlapping (left, right), scanning left to right, by `merged`; same array if none. */
function mergeSymbols(s: Int32Array, left: number, right: number, merged: number): Int32Array {
  const out: number[] = [];
  let hit = false;
  for (let i = 0; i < s.length; i++) {
    if (i + 1 < s.length && s[i] === left && s[i + 1] === right) {
      out.push(merged);
      i++;
      hit = true;
    } else out.push(s[i]);
  }
  return hit ? Int32Array.from(out) : s;
}

function listWord(pairWords: Map<number, number[]>, key: number, w: number): void {
  const list = pairWords.get(key);
  if (list) list.push(w);
  else pairWords.set(key, [w]);
}
