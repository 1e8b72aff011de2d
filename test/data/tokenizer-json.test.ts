import { describe, expect, it } from 'vitest';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadMobyDick, loadSotuCorpus } from '../../src/data/corpus.js';
import { normalize } from '../../src/data/normalize.js';
import { preTokenize } from '../../src/data/pretokenize.js';
import { trainWordPiece } from '../../src/data/wordpiece-train.js';
import { loadTokenizerFile, parseTokenizerJson, saveTokenizerFile, toTokenizerJson } from '../../src/data/tokenizer-json.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// A small tokenizer trained on the first 40 training addresses (1790-1829, about 1.3 MB).
const sotu = loadSotuCorpus();
const trainTexts = sotu.train.slice(0, 40).map((d) => normalize(d.text));
const tokenizer = trainWordPiece(trainTexts, { vocabSize: 1000 });
const json = toTokenizerJson(tokenizer);

/** Real sentences (held-out SOTU, Moby-Dick) plus ones that exercise normalisation edge cases. */
function sentences(): string[] {
  const firstSentences = (text: string, n: number) => text.split(/(?<=[.!?])\s+/).slice(0, n);
  return [
    ...firstSentences(sotu.heldout[0].text, 3),
    ...firstSentences(sotu.heldout[20].text, 3),
    ...firstSentences(loadMobyDick()[3].text, 3),
    'The Congress shall have Power to lay and collect Taxes, Duties\u2014\u201CImposts\u201D and Excises.',
    'It\u2019s the [MASK] of the Union \u2013 $1,234.56 in 1999, \uFB01nal \uFF21ct; caf\u00E9 na\u00EFve.',
    'Emoji \u{1F600} and \u6771\u4EAC and a very long word ' + 'x'.repeat(120) + ' end',
    '  tabs\tand\nnewlines\u00A0and\u200Bzero-width  ',
  ];
}

describe('tokenizer.json', () => {
  it('loads in @huggingface/tokenizers and gives the same ids and decoded text', () => {
    const hf = new HfTokenizer(JSON.parse(json), {});
    for (const s of sentences()) {
      const ours = tokenizer.encode(s, { addSpecialTokens: true });
      const theirs = hf.encode(s).ids;
      expect(theirs, s).toEqual(ours);
      expect(hf.decode(theirs), s).toBe(tokenizer.decode(ours));
    }
  });

  it('decode(encode(text)) gives the normalised words back, space-separated', () => {
    for (const s of sentences().slice(0, 9)) {
      const ids = tokenizer.encode(s);
      expect(ids).not.toContain(tokenizer.specialIds.unk); // real text in this alphabet: no [UNK]
      expect(tokenizer.decode(ids, { cleanup: false })).toBe(preTokenize(normalize(s)).join(' '));
    }
  });

  it('is byte-identical when trained twice, and survives write -> parse -> write', () => {
    const again = trainWordPiece([...trainTexts], { vocabSize: 1000 });
    expect(toTokenizerJson(again)).toBe(json);
    const parsed = parseTokenizerJson(json);
    expect(parsed.vocab).toEqual(tokenizer.vocab);
    expect(toTokenizerJson(parsed)).toBe(json);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-tok-'));
    try {
      const file = path.join(dir, 'tokenizer.json');
      saveTokenizerFile(file, tokenizer);
      expect(fs.readFileSync(file, 'utf8')).toBe(json);
      expect(loadTokenizerFile(file).vocab).toEqual(tokenizer.vocab);
      expect(() => loadTokenizerFile(path.join(dir, 'missing.json'))).toThrow('tokenizer not found');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the BERT layout: special ids, WordPiece model and decoder, [CLS] A [SEP] template', () => {
    const doc = JSON.parse(json);
    expect(doc.added_tokens.map((t: { id: number; content: string }) => [t.id, t.content])).toEqual([
      [0, '[PAD]'],
      [1, '[UNK]'],
      [2, '[CLS]'],
      [3, '[SEP]'],
      [4, '[MASK]'],
    ]);
    expect(doc.model).toMatchObject({
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
    });
    expect(Object.keys(doc.model.vocab)).toHaveLength(1000);
    expect(doc.decoder).toEqual({ type: 'WordPiece', prefix: '##', cleanup: true });
    expect(doc.pre_tokenizer).toEqual({ type: 'BertPreTokenizer' });
    expect(doc.post_processor.special_tokens['[SEP]'].ids).toEqual([3]);
    // The vocabulary is listed in id order (integer-like pieces such as "1" included).
    const text = json.slice(json.indexOf('"vocab"'));
    expect(text.indexOf('"[PAD]": 0')).toBeLessThan(text.indexOf('"0": '));
  });

  it('refuses files it did not write, naming the file', () => {
    expect(() => parseTokenizerJson('{not json', 'm/tokenizer.json')).toThrow(/^m\/tokenizer.json is not valid JSON/);
    const bpe = JSON.stringify({ model: { type: 'BPE', vocab: {} } });
    expect(() => parseTokenizerJson(bpe, 'x.json')).toThrow('x.json does not hold a WordPiece model');
    const other = JSON.parse(json);
    other.normalizer = { type: 'BertNormalizer', lowercase: true };
    expect(() => parseTokenizerJson(JSON.stringify(other), 'y.json')).toThrow('y.json uses a different normalizer');
  });
});
