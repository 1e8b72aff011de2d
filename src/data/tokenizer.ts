/**
 * A WordPiece tokenizer (uncased BERT style) over a fixed vocabulary: normalise (normalize.ts),
 * split into words (pretokenize.ts), then split each word greedily, longest match first, into
 * vocabulary pieces; pieces after the first carry the '##' prefix. A word with more than 100
 * characters, or with a part no piece matches, becomes one [UNK].
 *
 *   encode("Unbelievable!") with pieces {un, ##believ, ##able, !} -> [un, ##believ, ##able, !]
 *
 * The vocabulary comes from `trainWordPiece` (wordpiece-train.ts) or from a `tokenizer.json`
 * (tokenizer-json.ts). This module does no I/O.
 */
import { normalize } from './normalize.js';
import { preTokenize } from './pretokenize.js';

/** The BERT special tokens in id order: a trained vocabulary starts with them, [PAD] is 0. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
/** Prefix of a piece that continues a word. */
export const CONTINUATION_PREFIX = '##';
/** Words longer than this many characters (code points) encode as one [UNK]. */
export const MAX_CHARS_PER_WORD = 100;

export interface SpecialIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

/** Ids of the special tokens in every vocabulary `trainWordPiece` makes. */
export const SPECIAL_IDS: Readonly<SpecialIds> = Object.freeze({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });

export interface DecodeOptions {
  /** Drop [PAD], [UNK], [CLS], [SEP], [MASK] (default false, as in `tokenizers`). */
  skipSpecialTokens?: boolean;
  /** Undo BERT spacing around . , ! ? and contractions (default true, as BERT decoders do). */
  cleanup?: boolean;
}

export interface Tokenizer {
  /** id -> piece. */
  readonly vocab: readonly string[];
  readonly vocabSize: number;
  readonly specialIds: Readonly<SpecialIds>;
  tokenToId(piece: string): number | undefined;
  /**
   * Raw text -> ids, as `tokenizers` encodes it: literal "[MASK]" (and the other special tokens,
   * exact case) become their ids, the rest is normalised and split. With `addSpecialTokens`
   * the result is wrapped as [CLS] ... [SEP].
   */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** Already-normalised text -> ids (no special-token handling, nothing added). */
  encodeNormalized(normalized: string): number[];
  /** ids -> text: pieces joined with spaces, '##' pieces glued to the previous one. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
}

/** Literal special tokens in raw text (matched before normalisation, case-sensitive). */
const SPECIAL_RE = /(\[PAD\]|\[UNK\]|\[CLS\]|\[SEP\]|\[MASK\])/;

/** Build a tokenizer over `vocab` (id -> piece). Throws if a special token is missing or a piece repeats. */
export function makeTokenizer(vocab: readonly string[]): Tokenizer {
  const ids = new Map<string, number>();
  vocab.forEach((piece, id) => {
    if (ids.has(piece))
      throw new Error(`vocabulary piece ${JSON.stringify(piece)} appears twice (ids ${ids.get(piece)} and ${id}): rebuild the tokenizer`);
    ids.set(piece, id);
  });
  const lookup = (piece: string): number => {
    const id = ids.get(piece);
    if (id === undefined) throw new Error(`vocabulary has no ${piece} token: rebuild the tokenizer with graftlr`);
    return id;
  };
  const specialIds: SpecialIds = {
    pad: lookup('[PAD]'),
    unk: lookup('[UNK]'),
    cls: lookup('[CLS]'),
    sep: lookup('[SEP]'),
    mask: lookup('[MASK]'),
  };
  const specialSet = new Set(Object.values(specialIds));
  // The longest piece in code points bounds the greedy search below.
  let maxPieceChars = 1;
  for (const piece of vocab) {
    const body = piece.startsWith(CONTINUATION_PREFIX) ? piece.slice(CONTINUATION_PREFIX.length) : piece;
    maxPieceChars = Math.max(maxPieceChars, [...body].length);
  }
  const cache = new Map<string, number[]>();

  /** Greedy longest-match-first WordPiece of one word. */
  const encodeWord = (word: string): number[] => {
    const cached = cache.get(word);
    if (cached) return cached;
    const chars = [...word];
    let out: number[] = [];
    let start = 0;
    while (start < chars.length) {
      if (chars.length > MAX_CHARS_PER_WORD) break;
      let found = -1;
      let end = Math.min(chars.length, start + maxPieceChars);
      for (; end > start; end--) {
        const body = chars.slice(start, end).join('');
        found = ids.get(start > 0 ? CONTINUATION_PREFIX + body : body) ?? -1;
        if (found >= 0) break;
      }
      if (found < 0) break;
      out.push(found);
      start = end;
    }
    // Too long, or some part matched no piece: the whole word is one [UNK].
    if (start < chars.length) out = [specialIds.unk];
    if (cache.size >= 1 << 20) cache.clear();
    cache.set(word, out);
    return out;
  };

  const encodeNormalized = (normalized: string): number[] => {
    const out: number[] = [];
    for (const word of preTokenize(normalized)) for (const id of encodeWord(word)) out.push(id);
    return out;
  };

  const encode = (text: string, options: { addSpecialTokens?: boolean } = {}): number[] => {
    const out: number[] = options.addSpecialTokens ? [specialIds.cls] : [];
    // split() with a capture group keeps the special tokens at odd indices.
    text.split(SPECIAL_RE).forEach((section, i) => {
      if (i % 2 === 1) out.push(lookup(section));
      else for (const id of encodeNormalized(normalize(section))) out.push(id);
    });
    if (options.addSpecialTokens) out.push(specialIds.sep);
    return out;
  };

  const decode = (idList: ArrayLike<number>, options: DecodeOptions = {}): string => {
    const cleanup = options.cleanup ?? true;
    const parts: string[] = [];
    for (let i = 0; i < idList.length; i++) {
      const id = idList[i];
      if (options.skipSpecialTokens && specialSet.has(id)) continue;
      let piece = vocab[id] ?? '[UNK]';
      // As the WordPiece decoder of `tokenizers`: glue '##' pieces, space-separate the others.
      if (parts.length > 0) piece = piece.startsWith(CONTINUATION_PREFIX) ? piece.slice(CONTINUATION_PREFIX.length) : ' ' + piece;
      parts.push(cleanup ? cleanUpSpaces(piece) : piece);
    }
    const text = parts.join('');
    return cleanup ? cleanUpSpaces(text) : text;
  };

  return { vocab, vocabSize: vocab.length, specialIds, tokenToId: (p) => ids.get(p), encode, encodeNormalized, decode };
}

/** BERT's `clean_up_tokenization`: " ." -> ".", " n't" -> "n't", " ' " -> "'", ... */
export function cleanUpSpaces(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
