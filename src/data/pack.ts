/**
 * Packing encoded documents into fixed-length MLM sequences.
 *
 *   stream   = doc_1 [SEP] doc_2 [SEP] ... doc_n          (one long id stream, [SEP] between documents)
 *   sequence = [CLS] next T-2 stream tokens [SEP]          (a [SEP] at a chunk start is skipped)
 *
 * Only the last sequence can be short: it is filled with [PAD] (id 0), where attentionMask is 0.
 */
import { checkInt } from '../core/options/validate.js';
import type { SpecialIds } from './tokenizer.js';

/** S sequences of length T, row-major in one array. */
export interface Sequences {
  /** T. */
  seqLen: number;
  /** S. */
  count: number;
  /** (S*T) token ids; row i is ids[i*T, (i+1)*T). */
  ids: Int32Array;
  /** Vocabulary size of the tokenizer that made the ids (random replacement tokens are drawn below it). */
  vocabSize: number;
  specialIds: Readonly<SpecialIds>;
}

/** Concatenate encoded documents with one [SEP] between neighbours. */
export function joinDocuments(docs: readonly ArrayLike<number>[], sepId: number): Int32Array {
  const nonEmpty = docs.filter((d) => d.length > 0);
  const total = nonEmpty.reduce((n, d) => n + d.length, 0) + Math.max(0, nonEmpty.length - 1);
  const stream = new Int32Array(total);
  let at = 0;
  nonEmpty.forEach((doc, i) => {
    if (i > 0) stream[at++] = sepId;
    stream.set(doc, at);
    at += doc.length;
  });
  return stream;
}

/** Cut `stream` into [CLS] ... [SEP] rows of length `seqLen` (see the module comment). */
export function packSequences(
  stream: Int32Array,
  options: { seqLen: number; vocabSize: number; specialIds: Readonly<SpecialIds> },
): Sequences {
  const { seqLen, vocabSize, specialIds } = options;
  checkInt(undefined, 'seqLen', seqLen, 3, 65536);
  const body = seqLen - 2;
  const rows: number[][] = [];
  let at = 0;
  while (at < stream.length) {
    if (stream[at] === specialIds.sep) {
      at++; // do not start a sequence with a document separator
      continue;
    }
    const end = Math.min(stream.length, at + body);
    rows.push([specialIds.cls, ...stream.subarray(at, end), specialIds.sep]);
    at = end;
  }
  const ids = new Int32Array(rows.length * seqLen).fill(specialIds.pad);
  rows.forEach((row, i) => ids.set(row, i * seqLen));
  return { seqLen, count: rows.length, ids, vocabSize, specialIds };
}

/** Row i as a view (T) into `sequences.ids`. */
export function sequenceAt(sequences: Sequences, i: number): Int32Array {
  const T = sequences.seqLen;
  return sequences.ids.subarray(i * T, (i + 1) * T);
}
