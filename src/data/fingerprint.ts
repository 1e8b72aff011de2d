/**
 * The data fingerprint: a SHA-256 (hex) identifying exactly which text a run trained and evaluated on.
 * It hashes the split spec, the normaliser version, and every split's normalised documents in order
 * (document ids are not hashed: renaming a file does not change the data). Artifacts record it for
 * provenance; the data cache is keyed by it.
 */
import { createHash } from 'node:crypto';
import { NORMALIZER_VERSION } from './normalize.js';

export function dataFingerprint(spec: string, splits: Readonly<Record<string, readonly string[]>>): string {
  const hash = createHash('sha256');
  hash.update(`graftlr.data/1\nspec ${spec}\nnormalizer ${NORMALIZER_VERSION}\n`);
  for (const name of Object.keys(splits).sort()) {
    const docs = splits[name];
    hash.update(`split ${name} ${docs.length}\n`);
    // Length-prefixed, so document boundaries are part of the hash.
    for (const text of docs) hash.update(`${text.length}:`).update(text).update('\n');
  }
  return hash.digest('hex');
}

/**
 * The tokenizer fingerprint: SHA-256 (hex) of the vocabulary's pieces in id order. Two tokenizers with the
 * same fingerprint give every piece the same id (the normaliser and the WordPiece rules are fixed by the
 * normaliser version, which the data fingerprint already covers), so their token-indexed statistics agree.
 */
export function tokenizerFingerprint(vocab: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(`graftlr.vocab/1\n${vocab.length}\n`);
  for (const piece of vocab) hash.update(`${piece.length}:`).update(piece).update('\n');
  return hash.digest('hex');
}

/** counts[id] = occurrences of token id in `ids` (ids outside [0, vocabSize) are refused). */
export function tokenCounts(ids: ArrayLike<number>, vocabSize: number): Int32Array {
  const counts = new Int32Array(vocabSize);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < vocabSize)) throw new Error(`tokenCounts: id ${id} at ${i} is outside the vocabulary of ${vocabSize} tokens`);
    counts[id]++;
  }
  return counts;
}
