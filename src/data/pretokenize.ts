/**
 * BERT "basic" pre-tokenisation of normalised text into words: split on whitespace, and make every
 * punctuation character and every CJK ideograph a word of its own. WordPiece then splits each word.
 *
 * Punctuation is what BERT (and `tokenizers`' BertPreTokenizer) calls punctuation: every ASCII
 * non-alphanumeric printable character (so $ + < = > ^ ` | ~ count) and every Unicode P* character.
 * CJK ideographs are the ranges of BERT's `_is_chinese_char` (BertNormalizer's handle_chinese_chars
 * puts spaces around them, which has the same effect).
 *
 *   preTokenize("he said: \"don't\"") -> ['he', 'said', ':', '"', 'don', "'", 't', '"']
 */

/** BERT punctuation, as a regex character-class body. */
const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
/** CJK Unified Ideographs and extensions / compatibility ideographs, as a class body. */
const CJK =
  '\\u4E00-\\u9FFF\\u3400-\\u4DBF\\u{20000}-\\u{2A6DF}\\u{2A700}-\\u{2B73F}\\u{2B740}-\\u{2B81F}' +
  '\\u{2B820}-\\u{2CEAF}\\uF900-\\uFAFF\\u{2F800}-\\u{2FA1F}';
/** A run of ordinary characters, or one punctuation / CJK character. */
const WORD_RE = new RegExp(`[^\\s${PUNCT}${CJK}]+|[${PUNCT}${CJK}]`, 'gu');

/** Split normalised text into words (see the module comment). */
export function preTokenize(normalized: string): string[] {
  return normalized.match(WORD_RE) ?? [];
}

/** Calls `visit(word)` for every word, without building an array (used when counting words). */
export function forEachWord(normalized: string, visit: (word: string) => void): void {
  for (const match of normalized.matchAll(WORD_RE)) visit(match[0]);
}

const ISOLATED_RE = new RegExp(`^[${PUNCT}${CJK}]$`, 'u');

/** Is `char` always a word of its own (punctuation or CJK)? Such a character never continues a word. */
export function isIsolatedChar(char: string): boolean {
  return ISOLATED_RE.test(char);
}
