/**
 * prepareData: corpus -> normalised splits -> fingerprint -> WordPiece tokenizer (trained on the
 * training split) -> encoded id streams -> packed [CLS] ... [SEP] sequences. The one data call the
 * CLI makes. With `cacheDir`, the tokenizer and the id streams are cached (cache.ts), keyed by the
 * data fingerprint and the vocabulary size; the sequence length is applied after the cache.
 */
import { checkInt } from '../core/options/validate.js';
import { DEFAULT_HELDOUT_FRACTION, BUILT_IN_CORPORA, isBuiltInCorpus, loadCorpus, type Corpus, type CorpusChoice } from './corpus.js';
import { normalize } from './normalize.js';
import { dataFingerprint } from './fingerprint.js';
import { trainWordPiece, WORDPIECE_TRAINER_VERSION } from './wordpiece-train.js';
import { toTokenizerJson, parseTokenizerJson } from './tokenizer-json.js';
import { joinDocuments, packSequences, type Sequences } from './pack.js';
import { readCache, writeCache, cachePath } from './cache.js';
import type { Tokenizer } from './tokenizer.js';

export interface PrepareOptions {
  /** "sotu" (default), "moby-dick" (corpus.ts) or text files / folders (corpus-files.ts). */
  corpus?: CorpusChoice;
  /** WordPiece vocabulary size incl. special tokens (default 8192; allowed 6..1000000). */
  vocabSize?: number;
  /** Sequence length T incl. [CLS] and [SEP] (default 128; allowed 3..65536). */
  seqLen?: number;
  /** Folder for the tokenizer + encoded-ids cache; none by default. */
  cacheDir?: string;
  /** User corpora and moby-dick: fraction of characters held out (default 0.05; allowed (0, 1)). */
  heldoutFraction?: number;
}

export const SPLITS = ['train', 'heldout', 'ood'] as const;
export type SplitName = (typeof SPLITS)[number];
type PerSplit<T> = Record<SplitName, T>;

export interface DataStats {
  documents: PerSplit<number>;
  /** Characters of normalised text. */
  characters: PerSplit<number>;
  /** Tokens in each split's id stream (documents joined by [SEP]). */
  tokens: PerSplit<number>;
  /** [UNK] tokens in each stream. */
  unknownTokens: PerSplit<number>;
  sequences: PerSplit<number>;
  vocabSize: number;
  seqLen: number;
  /** True when the tokenizer and ids came from the cache. */
  cached: boolean;
  cacheFile?: string;
  /** Wall-clock ms: reading the corpus, normalising + fingerprint, tokenizer training, encoding (0 when cached), total. */
  ms: { load: number; normalize: number; train: number; encode: number; total: number };
}

export interface PreparedData {
  tokenizer: Tokenizer;
  /** The tokenizer as `tokenizer.json` text (write it next to a model for Python users). */
  tokenizerJson: string;
  train: Sequences;
  heldout: Sequences;
  ood: Sequences;
  /** SHA-256 of the split spec and normalised text (fingerprint.ts). */
  fingerprint: string;
  /** How the corpus was split (corpus.ts). */
  spec: string;
  stats: DataStats;
}

/** Options with defaults filled in; throws a one-line Error naming a bad value and the allowed range. */
export function validatePrepareOptions(options: PrepareOptions): Required<Omit<PrepareOptions, 'cacheDir'>> & { cacheDir?: string } {
  const { corpus = 'sotu', vocabSize = 8192, seqLen = 128, heldoutFraction = DEFAULT_HELDOUT_FRACTION, cacheDir } = options;
  if (!isBuiltInCorpus(corpus) && !Array.isArray(corpus))
    throw new Error(
      `corpus = ${JSON.stringify(corpus)} is invalid: expected ${BUILT_IN_CORPORA.map((c) => `"${c}"`).join(', ')} or a list of text files/folders`,
    );
  checkInt(undefined, 'vocabSize', vocabSize, 6, 1_000_000);
  checkInt(undefined, 'seqLen', seqLen, 3, 65536);
  if (!(heldoutFraction > 0 && heldoutFraction < 1))
    throw new Error(`heldoutFraction = ${heldoutFraction} is invalid: expected a number in (0, 1)`);
  return { corpus, vocabSize, seqLen, heldoutFraction, cacheDir };
}

export function prepareData(options: PrepareOptions = {}): PreparedData {
  const { corpus, vocabSize, seqLen, heldoutFraction, cacheDir } = validatePrepareOptions(options);
  const t0 = performance.now();
  const loaded: Corpus = loadCorpus(corpus, heldoutFraction);
  const t1 = performance.now();
  const texts: PerSplit<string[]> = {
    train: loaded.train.map((d) => normalize(d.text)),
    heldout: loaded.heldout.map((d) => normalize(d.text)),
    ood: loaded.ood.map((d) => normalize(d.text)),
  };
  const fingerprint = dataFingerprint(loaded.spec, texts);
  const t2 = performance.now();

  const key = { fingerprint, vocabSize, trainer: WORDPIECE_TRAINER_VERSION };
  const hit = cacheDir === undefined ? undefined : readCache(cacheDir, key);
  const cached = hit !== undefined && SPLITS.every((s) => hit.streams[s] !== undefined);
  let tokenizer: Tokenizer;
  let tokenizerJson: string;
  let streams: PerSplit<Int32Array>;
  let trainMs = 0;
  let encodeMs = 0;
  if (cached) {
    tokenizerJson = hit.tokenizerJson;
    tokenizer = parseTokenizerJson(tokenizerJson, 'cached tokenizer');
    streams = { train: hit.streams.train, heldout: hit.streams.heldout, ood: hit.streams.ood };
  } else {
    tokenizer = trainWordPiece(texts.train, { vocabSize });
    tokenizerJson = toTokenizerJson(tokenizer);
    const t3 = performance.now();
    trainMs = t3 - t2;
    const encode = (docs: string[]) =>
      joinDocuments(
        docs.map((t) => tokenizer.encodeNormalized(t)),
        tokenizer.specialIds.sep,
      );
    streams = { train: encode(texts.train), heldout: encode(texts.heldout), ood: encode(texts.ood) };
    encodeMs = performance.now() - t3;
  }
  let cacheFile: string | undefined;
  if (cacheDir !== undefined) cacheFile = cached ? cachePath(cacheDir, key) : writeCache(cacheDir, key, { tokenizerJson, streams });

  const pack = (s: SplitName) => packSequences(streams[s], { seqLen, vocabSize: tokenizer.vocabSize, specialIds: tokenizer.specialIds });
  const sequences: PerSplit<Sequences> = { train: pack('train'), heldout: pack('heldout'), ood: pack('ood') };
  if (sequences.train.count === 0) throw new Error('the training split encodes to no tokens: use a larger corpus');
  const per = <T>(f: (s: SplitName) => T): PerSplit<T> => ({ train: f('train'), heldout: f('heldout'), ood: f('ood') });
  const countUnk = (ids: Int32Array) => ids.reduce((n, id) => n + (id === tokenizer.specialIds.unk ? 1 : 0), 0);
  const stats: DataStats = {
    documents: per((s) => texts[s].length),
    characters: per((s) => texts[s].reduce((n, t) => n + t.length, 0)),
    tokens: per((s) => streams[s].length),
    unknownTokens: per((s) => countUnk(streams[s])),
    sequences: per((s) => sequences[s].count),
    vocabSize: tokenizer.vocabSize,
    seqLen,
    cached,
    cacheFile,
    ms: { load: t1 - t0, normalize: t2 - t1, train: trainMs, encode: encodeMs, total: performance.now() - t0 },
  };
  return { tokenizer, tokenizerJson, ...sequences, fingerprint, spec: loaded.spec, stats };
}
