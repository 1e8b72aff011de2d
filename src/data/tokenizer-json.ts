/**
 * The Hugging Face `tokenizer.json` format for graftlr's WordPiece tokenizers, laid out as
 * BertTokenizerFast saves it, so Python's `tokenizers.Tokenizer.from_file` and
 * `@huggingface/tokenizers` load it and produce the same ids as `Tokenizer.encode`:
 *
 *   normalizer      Sequence[NFKC, Replace(curly ' -> '), Replace(curly " -> "), Replace(dashes -> -),
 *                   BertNormalizer{clean_text, handle_chinese_chars, strip_accents: false, lowercase}]
 *   pre_tokenizer   BertPreTokenizer
 *   model           WordPiece{unk_token "[UNK]", prefix "##", max_input_chars_per_word 100, vocab}
 *   post_processor  TemplateProcessing: [CLS] A [SEP] (pairs: [CLS] A [SEP] B [SEP], B has type 1)
 *   decoder         WordPiece{prefix "##", cleanup: true}
 *   added_tokens    the 5 special tokens (special, not normalised)
 *
 * Output is byte-deterministic: fixed key order, the vocabulary listed in id order.
 */
import { readFileChecked, writeFileAtomic } from '../formats/atomic.js';
import { DASHES, DOUBLE_QUOTES, SINGLE_QUOTES } from './normalize.js';
import { CONTINUATION_PREFIX, MAX_CHARS_PER_WORD, SPECIAL_TOKENS, makeTokenizer, type Tokenizer } from './tokenizer.js';

/** The normalizer graftlr writes; `parseTokenizerJson` accepts only this one (see normalize.ts). */
export const NORMALIZER_JSON = {
  type: 'Sequence',
  normalizers: [
    { type: 'NFKC' },
    { type: 'Replace', pattern: { Regex: `[${SINGLE_QUOTES}]` }, content: "'" },
    { type: 'Replace', pattern: { Regex: `[${DOUBLE_QUOTES}]` }, content: '"' },
    { type: 'Replace', pattern: { Regex: `[${DASHES}]` }, content: '-' },
    { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase: true },
  ],
};

/** The `tokenizer.json` text for `tokenizer`. */
export function toTokenizerJson(tokenizer: Tokenizer): string {
  const { vocab, specialIds } = tokenizer;
  const special = (token: string, id: number) => ({ id: token, ids: [id], tokens: [token] });
  const head = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: tokenizer.tokenToId(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: NORMALIZER_JSON,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]', specialIds.cls), '[SEP]': special('[SEP]', specialIds.sep) },
    },
    decoder: { type: 'WordPiece', prefix: CONTINUATION_PREFIX, cleanup: true },
  };
  // The vocabulary is written by hand: JSON.stringify would move integer-like keys ("1", "42") first.
  const vocabLines = vocab.map((piece, id) => `      ${JSON.stringify(piece)}: ${id}`);
  const model = [
    '  "model": {',
    '    "type": "WordPiece",',
    '    "unk_token": "[UNK]",',
    `    "continuing_subword_prefix": ${JSON.stringify(CONTINUATION_PREFIX)},`,
    `    "max_input_chars_per_word": ${MAX_CHARS_PER_WORD},`,
    '    "vocab": {',
    vocabLines.join(',\n'),
    '    }',
    '  }',
  ].join('\n');
  const headText = JSON.stringify(head, null, 2);
  return `${headText.slice(0, -2)},\n${model}\n}\n`;
}

/**
 * A tokenizer from `tokenizer.json` text written by `toTokenizerJson`. `source` names the file in
 * error messages. Throws a one-line Error when the text is not such a tokenizer.
 */
export function parseTokenizerJson(text: string, source = 'tokenizer.json'): Tokenizer {
  let json: { model?: { type?: string; continuing_subword_prefix?: string; vocab?: unknown }; normalizer?: unknown };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON (${(e as Error).message}): re-create it with graftlr`);
  }
  const model = json?.model;
  if (model?.type !== 'WordPiece' || model.continuing_subword_prefix !== CONTINUATION_PREFIX) {
    throw new Error(`${source} does not hold a WordPiece model with prefix "##": pass a tokenizer.json written by graftlr`);
  }
  if (JSON.stringify(json.normalizer) !== JSON.stringify(NORMALIZER_JSON)) {
    throw new Error(
      `${source} uses a different normalizer than graftlr's (NFKC, quotes, dashes, lowercase): pass a tokenizer.json written by graftlr`,
    );
  }
  const entries = Object.entries((model.vocab ?? {}) as Record<string, unknown>);
  const vocab: string[] = new Array(entries.length);
  for (const [piece, id] of entries) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length || vocab[id as number] !== undefined) {
      throw new Error(
        `${source}: vocabulary id ${String(id)} of ${JSON.stringify(piece)} is not a unique id in [0, ${entries.length}): re-create the file with graftlr`,
      );
    }
    vocab[id as number] = piece;
  }
  return makeTokenizer(vocab);
}

/** Write `tokenizer` as `tokenizer.json` text to `file` (atomically). */
export function saveTokenizerFile(file: string, tokenizer: Tokenizer): void {
  writeFileAtomic(file, toTokenizerJson(tokenizer));
}

/** Read a `tokenizer.json` written by `saveTokenizerFile`; one-line errors name the file. */
export function loadTokenizerFile(file: string): Tokenizer {
  return parseTokenizerJson(new TextDecoder().decode(readFileChecked(file, 'tokenizer')), file);
}
