/**
 * Masked-language-model batches with random access: `batchAt(step)` depends only on (seed, step),
 * so a resumed run and every engine see the same batches.
 *
 * Data order: the sequences are read epoch after epoch, each epoch in the order of a permutation
 * from rng(seed, 'data-order', epoch). Step s takes the B positions s*B ... s*B + B - 1 of that endless
 * list (a batch may straddle two epochs; every batch is full).
 *
 * Masking (BERT), with rng(seed, 'mask', step):
 *   - per row, of the n real non-special tokens, exactly round(0.15 n) positions are selected,
 *     uniformly without replacement (BERT's original scheme; if a batch would select none, one of
 *     its eligible positions is selected, so N >= 1);
 *   - each selected position independently: with p 0.8 -> [MASK], 0.1 -> a uniform random
 *     non-special token, 0.1 -> unchanged. Labels are the original ids.
 * Special tokens ([PAD], [UNK], [CLS], [SEP], [MASK]) are never selected.
 */
import { checkInt } from '../core/options/validate.js';
import type { MlmBatch } from './batch.js';
import type { Sequences } from './pack.js';
import type { SpecialIds } from './tokenizer.js';
import { rng, type Rng } from '../core/random.js';

export interface MaskingOptions {
  /** Fraction of eligible tokens selected (default 0.15). */
  selectProb?: number;
  /** Of the selected: fraction replaced by [MASK] (default 0.8). */
  maskProb?: number;
  /** Of the selected: fraction replaced by a random token (default 0.1); the rest stay unchanged. */
  randomProb?: number;
}

export interface BatcherOptions {
  sequences: Sequences;
  batchSize: number;
  seed: number;
  /** Defaults to `sequences.vocabSize`. */
  vocabSize?: number;
  /** Defaults to `sequences.specialIds`. */
  specialIds?: Readonly<SpecialIds>;
  masking?: MaskingOptions;
}

export interface Batcher {
  readonly batchSize: number;
  /** Steps to see every sequence once: ceil(S / B). */
  readonly stepsPerEpoch: number;
  /** The batch of training step `step` (integer >= 0); pure in (seed, step). */
  batchAt(step: number): MlmBatch;
}

/** Fixed seed of `evalBatches` unless one is given: evaluations of different runs compare. */
export const EVAL_SEED = 20240601;

export function makeBatcher(options: BatcherOptions): Batcher {
  const { sequences, batchSize: B, seed } = options;
  const vocabSize = options.vocabSize ?? sequences.vocabSize;
  const specialIds = options.specialIds ?? sequences.specialIds;
  const S = sequences.count;
  checkInt(undefined, 'batchSize', B, 1);
  if (S < 1) throw new Error('there are no training sequences: use a larger corpus');
  rng(seed); // validates the seed
  validateMasking(options.masking);
  const perms = new Map<number, Int32Array>(); // the two most recent epochs' permutations
  const permutation = (epoch: number): Int32Array => {
    let perm = perms.get(epoch);
    if (!perm) {
      perm = Int32Array.from(rng(seed, 'data-order', epoch).shuffle(Array.from({ length: S }, (_, i) => i)));
      if (perms.size >= 2) perms.delete(perms.keys().next().value as number);
      perms.set(epoch, perm);
    }
    return perm;
  };
  return {
    batchSize: B,
    stepsPerEpoch: Math.ceil(S / B),
    batchAt(step) {
      checkInt(undefined, 'step', step, 0);
      const rows: number[] = [];
      for (let j = 0; j < B; j++) {
        const p = step * B + j;
        rows.push(permutation(Math.floor(p / S))[p % S]);
      }
      return maskRows(sequences, rows, rng(seed, 'mask', step), vocabSize, specialIds, options.masking);
    },
  };
}

/**
 * Fixed held-out batches: `maxSequences` rows (default all) spread evenly over the split
 * (row floor(i * S / cap)), in order, B per batch (the last batch may be smaller), masked with
 * rng(seed, 'eval-mask', batchIndex). Same arguments, same batches; no sequences, no batches.
 */
export function evalBatches(
  sequences: Sequences,
  batchSize: number,
  seed: number = EVAL_SEED,
  options: { maxSequences?: number; masking?: MaskingOptions } = {},
): MlmBatch[] {
  checkInt(undefined, 'batchSize', batchSize, 1);
  const S = sequences.count;
  const cap = Math.min(S, options.maxSequences ?? S);
  const rows = Array.from({ length: cap }, (_, i) => Math.floor((i * S) / cap));
  const batches: MlmBatch[] = [];
  for (let b = 0; b * batchSize < rows.length; b++) {
    const part = rows.slice(b * batchSize, (b + 1) * batchSize);
    batches.push(maskRows(sequences, part, rng(seed, 'eval-mask', b), sequences.vocabSize, sequences.specialIds, options.masking));
  }
  return batches;
}

/** Copy the given rows into a batch and mask it (see the module comment). */
export function maskRows(
  sequences: Sequences,
  rows: readonly number[],
  r: Rng,
  vocabSize: number,
  specialIds: Readonly<SpecialIds>,
  masking: MaskingOptions = {},
): MlmBatch {
  const { selectProb, maskProb, randomProb } = validateMasking(masking);
  const T = sequences.seqLen;
  const B = rows.length;
  const inputIds = new Int32Array(B * T);
  rows.forEach((row, b) => inputIds.set(sequences.ids.subarray(row * T, (row + 1) * T), b * T));
  const attentionMask = inputIds.map((id) => (id === specialIds.pad ? 0 : 1));
  const specials = [...new Set(Object.values(specialIds))].sort((a, b) => a - b);
  const isSpecial = new Set(specials);

  // Select exactly round(selectProb * n) eligible positions per row (partial Fisher-Yates).
  const selected: number[] = [];
  const eligibleInBatch: number[] = [];
  for (let b = 0; b < B; b++) {
    const eligible: number[] = [];
    for (let t = 0; t < T; t++) if (!isSpecial.has(inputIds[b * T + t])) eligible.push(b * T + t);
    eligibleInBatch.push(...eligible);
    const k = Math.round(selectProb * eligible.length);
    for (let i = 0; i < k; i++) {
      const j = i + r.int(eligible.length - i);
      [eligible[i], eligible[j]] = [eligible[j], eligible[i]];
    }
    selected.push(...eligible.slice(0, k).sort((x, y) => x - y));
  }
  if (selected.length === 0) {
    if (eligibleInBatch.length === 0) throw new Error('batch has no maskable tokens (only special tokens): check the data');
    selected.push(eligibleInBatch[r.int(eligibleInBatch.length)]);
  }

  // 80% [MASK], 10% random non-special token, 10% unchanged.
  const maskedPositions = Int32Array.from(selected);
  const maskedLabels = Int32Array.from(selected, (p) => inputIds[p]);
  for (const p of selected) {
    const u = r.uniform();
    if (u < maskProb) inputIds[p] = specialIds.mask;
    else if (u < maskProb + randomProb) inputIds[p] = randomNonSpecial(r, vocabSize, specials);
  }
  return { batchSize: B, seqLen: T, inputIds, attentionMask, tokenTypeIds: new Int32Array(B * T), maskedPositions, maskedLabels };
}

/** Masking options with defaults; throws naming a bad value and the allowed range. */
export function validateMasking(masking: MaskingOptions = {}): Required<MaskingOptions> {
  const { selectProb = 0.15, maskProb = 0.8, randomProb = 0.1 } = masking;
  if (!(selectProb > 0 && selectProb <= 1)) throw new Error(`selectProb = ${selectProb} is invalid: expected a number in (0, 1]`);
  if (!(maskProb >= 0 && randomProb >= 0 && maskProb + randomProb <= 1)) {
    throw new Error(`maskProb = ${maskProb}, randomProb = ${randomProb} are invalid: expected both >= 0 with a sum <= 1`);
  }
  return { selectProb, maskProb, randomProb };
}

/** Uniform over [0, vocabSize) minus the (sorted, distinct) special ids. */
function randomNonSpecial(r: Rng, vocabSize: number, sortedSpecials: readonly number[]): number {
  let id = r.int(vocabSize - sortedSpecials.length);
  for (const s of sortedSpecials) if (id >= s) id++;
  return id;
}
