/**
 * Text normalisation, applied before tokenizer training, before encoding, and to the text that the
 * data fingerprint hashes. Uncased, BERT style:
 *
 *   1. Unicode NFKC (compatibility forms folded: ligatures, full-width letters, "…" -> "...");
 *   2. curly single quotes ‘ ’ ‚ ‛ -> ' and curly double quotes “ ” „ ‟ -> ";
 *   3. hyphens and dashes (‐ ‑ ‒ – — ― − ⸺ ⸻ ﹘ ﹣) -> '-';
 *   4. control and format characters removed (NUL, U+FFFD, Unicode Cc/Cf/Co/Cs/Cn), tab and
 *      newline kept as whitespace;
 *   5. every run of whitespace -> one space, leading and trailing whitespace dropped;
 *   6. lowercase, one character at a time (no final-sigma rule), accents kept.
 *
 * Steps 1-4 and 6 are what the `tokenizer.json` normalizer (NFKC, Replace x3, BertNormalizer with
 * clean_text and lowercase, strip_accents false) does, so `@huggingface/tokenizers` and Python's
 * `tokenizers` see the same words. Step 5 only changes spacing, which pre-tokenisation ignores.
 * Known edge differences: `@huggingface/tokenizers` (JS) keeps unassigned code points (Cn) and
 * lowercases a word-final Σ to ς; the Rust library and this module drop Cn and give σ.
 */

/** Curly single quotes -> ' (U+2018 ‘, U+2019 ’, U+201A ‚, U+201B ‛). */
export const SINGLE_QUOTES = '\u2018\u2019\u201A\u201B';
/** Curly double quotes -> " (U+201C “, U+201D ”, U+201E „, U+201F ‟). */
export const DOUBLE_QUOTES = '\u201C\u201D\u201E\u201F';
/** Hyphens and dashes -> '-' (U+2010..U+2015, U+2212 minus, U+2E3A/B, U+FE58, U+FE63). */
export const DASHES = '\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2E3A\u2E3B\uFE58\uFE63';

/** A version tag for this normalisation; part of the data fingerprint, bump it when rules change. */
export const NORMALIZER_VERSION = 'nfkc-quotes-dashes-clean-lower-v1';

const SINGLE_QUOTE_RE = new RegExp(`[${SINGLE_QUOTES}]`, 'gu');
const DOUBLE_QUOTE_RE = new RegExp(`[${DOUBLE_QUOTES}]`, 'gu');
const DASH_RE = new RegExp(`[${DASHES}]`, 'gu');
/** Characters BERT's clean_text drops: controls except \t \n \r, format, private use, surrogates, unassigned, U+FFFD. */
const CONTROL_RE = /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\uFFFD]/gu;
const WHITESPACE_RE = /\s+/gu;

/**
 * Normalise one text (see the module comment for the exact steps). Idempotent:
 * normalize(normalize(x)) === normalize(x).
 */
export function normalize(text: string): string {
  let s = text.normalize('NFKC');
  s = s.replace(SINGLE_QUOTE_RE, "'").replace(DOUBLE_QUOTE_RE, '"').replace(DASH_RE, '-');
  s = s.replace(CONTROL_RE, '');
  s = s.replace(WHITESPACE_RE, ' ').trim();
  return lowercase(s);
}

/**
 * Lowercase per character, as Rust's `char::to_lowercase` (which the `tokenizers` library uses):
 * JS `toLowerCase` maps a word-final capital sigma to final ς, Rust maps every Σ to σ.
 */
function lowercase(s: string): string {
  return s.replace(/\u03A3/g, '\u03C3').toLowerCase();
}
