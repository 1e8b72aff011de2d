import { describe, expect, it } from 'vitest';
import { joinDocuments, packSequences, sequenceAt, type Sequences } from '../../src/data/pack.js';
import { evalBatches, makeBatcher } from '../../src/data/mlm.js';
import { SPECIAL_IDS } from '../../src/data/tokenizer.js';
import { rng } from '../../src/core/random.js';
import type { MlmBatch } from '../../src/data/batch.js';

const [PAD, UNK, CLS, SEP, MASK] = [0, 1, 2, 3, 4];
const pack = (stream: number[], seqLen: number, vocabSize = 100) =>
  packSequences(Int32Array.from(stream), { seqLen, vocabSize, specialIds: SPECIAL_IDS });

/** S rows of length T: [CLS], T-2 random non-special ids in [5, V), [SEP]; row i starts with id 5 + i. */
function randomSequences(S: number, T: number, V: number): Sequences {
  const r = rng(7, 'test-stream');
  const stream: number[] = [];
  for (let i = 0; i < S; i++) {
    stream.push(5 + i);
    for (let t = 1; t < T - 2; t++) stream.push(5 + r.int(V - 5));
  }
  return pack(stream, T, V);
}

/** Undo the masking: put the labels back at the selected positions. */
function unmask(batch: MlmBatch): Int32Array {
  const ids = batch.inputIds.slice();
  batch.maskedPositions.forEach((p, i) => (ids[p] = batch.maskedLabels[i]));
  return ids;
}

describe('packing', () => {
  it('joins documents with [SEP] and cuts [CLS] ... [SEP] rows, padding the last', () => {
    expect([...joinDocuments([[5, 6], [7], []], SEP)]).toEqual([5, 6, SEP, 7]);
    // T = 5 leaves 3 body tokens per row: [5 6 7], then [8 9] padded.
    const seqs = pack([5, 6, 7, 8, 9], 5);
    expect(seqs.count).toBe(2);
    expect([...seqs.ids]).toEqual([CLS, 5, 6, 7, SEP, CLS, 8, 9, SEP, PAD]);
    expect([...sequenceAt(seqs, 1)]).toEqual([CLS, 8, 9, SEP, PAD]);
    // A document separator that would start a row is skipped.
    expect([...pack([5, 6, 7, SEP, 8], 5).ids]).toEqual([CLS, 5, 6, 7, SEP, CLS, 8, SEP, PAD, PAD]);
  });

  it('gives attentionMask 0 exactly on padding and never selects special tokens', () => {
    // Rows: [CLS 5 UNK 6 SEP 7 8 SEP] and [CLS 9 SEP PAD PAD PAD PAD PAD] (T = 8, 6 body tokens).
    const seqs = pack([5, UNK, 6, SEP, 7, 8, 9], 8);
    const batcher = makeBatcher({ sequences: seqs, batchSize: 2, seed: 1 });
    for (let step = 0; step < 50; step++) {
      const batch = batcher.batchAt(step);
      const original = unmask(batch);
      expect([...batch.attentionMask]).toEqual([...original].map((id) => (id === PAD ? 0 : 1)));
      expect([...batch.tokenTypeIds]).toEqual(new Array(16).fill(0));
      for (const p of batch.maskedPositions) expect(original[p]).toBeGreaterThanOrEqual(5);
      // Eligible: 5, 6, 7, 8 in one row (round(0.15 * 4) = 1) and 9 in the other (round(0.15) = 0): N = 1.
      expect(batch.maskedPositions.length).toBe(1);
    }
  });

  it('selects one position when rounding would select none', () => {
    // One row with 2 eligible tokens: round(0.15 * 2) = 0, so the batch-level minimum applies.
    const batch = makeBatcher({ sequences: pack([5, 6], 5), batchSize: 1, seed: 3 }).batchAt(0);
    expect(batch.maskedPositions.length).toBe(1);
    expect([1, 2]).toContain(batch.maskedPositions[0]);
  });
});

describe('masking statistics', () => {
  // S = 200 rows, T = 64: 62 eligible tokens per row, so exactly k = round(0.15 * 62) = round(9.3) = 9
  // selected per row, 16 * 9 = 144 per batch, M = 100 * 144 = 14400 over 100 steps.
  const V = 1000;
  const seqs = randomSequences(200, 64, V);
  const batcher = makeBatcher({ sequences: seqs, batchSize: 16, seed: 42 });
  const batches = Array.from({ length: 100 }, (_, step) => batcher.batchAt(step));
  const M = 14400;

  it('selects exactly round(0.15 n) per row, uniformly over positions', () => {
    const perPosition = new Array(64).fill(0);
    for (const batch of batches) {
      expect(batch.maskedPositions.length).toBe(144);
      for (const p of batch.maskedPositions) perPosition[p % 64]++;
    }
    // Position t in 1..62 is selected with p = 9/62 in each of 1600 rows: Binomial(1600, 9/62),
    // mean 232.26, std sqrt(1600 * 9/62 * 53/62) = 14.09; allow 5 std (a false alarm ~ 1e-6 per position).
    expect(perPosition[0]).toBe(0);
    expect(perPosition[63]).toBe(0);
    for (let t = 1; t <= 62; t++) expect(Math.abs(perPosition[t] - (1600 * 9) / 62)).toBeLessThan(5 * 14.09);
  });

  it('replaces 80% by [MASK], 10% by a random non-special token, keeps 10%', () => {
    let masked = 0;
    let changed = 0;
    let kept = 0;
    for (const batch of batches) {
      batch.maskedPositions.forEach((p, i) => {
        const now = batch.inputIds[p];
        if (now === MASK) masked++;
        else if (now === batch.maskedLabels[i]) kept++;
        else {
          changed++;
          expect(now).toBeGreaterThanOrEqual(5);
          expect(now).toBeLessThan(V);
        }
      });
    }
    expect(masked + changed + kept).toBe(M);
    // [MASK] ~ Binomial(M, 0.8): std sqrt(14400 * 0.8 * 0.2) = 48. A random token equals the original
    // with p 1/995, so changed ~ Binomial(M, 0.1 * 994/995), kept ~ Binomial(M, 0.1 + 0.1/995), std
    // about sqrt(14400 * 0.1 * 0.9) = 36. Allow 5 std.
    expect(Math.abs(masked - 0.8 * M)).toBeLessThan(5 * 48);
    expect(Math.abs(changed - M * 0.1 * (994 / 995))).toBeLessThan(5 * 36);
    expect(Math.abs(kept - M * (0.1 + 0.1 / 995))).toBeLessThan(5 * 36);
  });
});

describe('random replacement tokens', () => {
  it('are uniform over the non-special ids, also when special ids are not contiguous', () => {
    // BERT-style ids: [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103; V = 110 leaves the
    // 105 ids 1..99 and 104..109. maskProb 0, randomProb 1: every selected token is replaced.
    const specialIds = { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 };
    const stream = Array.from({ length: 62 * 40 }, (_, i) => 1 + (i % 99));
    const seqs = packSequences(Int32Array.from(stream), { seqLen: 64, vocabSize: 110, specialIds });
    const batcher = makeBatcher({ sequences: seqs, batchSize: 40, seed: 2, masking: { maskProb: 0, randomProb: 1 } });
    const seen = new Set<number>();
    for (let step = 0; step < 6; step++) {
      const batch = batcher.batchAt(step);
      for (const p of batch.maskedPositions) seen.add(batch.inputIds[p]);
    }
    // 6 * 40 * 9 = 2160 draws over 105 values: P(some value never drawn) <= 105 * (104/105)^2160 ~ 1e-7.
    const allowed = [...Array.from({ length: 99 }, (_, i) => i + 1), 104, 105, 106, 107, 108, 109];
    expect([...seen].sort((a, b) => a - b)).toEqual(allowed);
  });
});

describe('batcher determinism and data order', () => {
  const seqs = randomSequences(24, 16, 500);

  it('batchAt is a pure function of (seed, step), in any call order', () => {
    const a = makeBatcher({ sequences: seqs, batchSize: 4, seed: 5 });
    const b = makeBatcher({ sequences: seqs, batchSize: 4, seed: 5 });
    const late = [20, 3, 11].map((s) => b.batchAt(s)); // b visits other steps (and epochs) first
    expect(a.batchAt(11)).toEqual(late[2]);
    expect(a.batchAt(3)).toEqual(late[1]);
    expect(a.batchAt(20)).toEqual(late[0]);
    const c = makeBatcher({ sequences: seqs, batchSize: 4, seed: 6 });
    expect([...c.batchAt(3).inputIds]).not.toEqual([...a.batchAt(3).inputIds]);
  });

  it('visits every sequence once per epoch, in a different order each epoch', () => {
    const batcher = makeBatcher({ sequences: seqs, batchSize: 4, seed: 9 });
    expect(batcher.stepsPerEpoch).toBe(6);
    // Row i starts with token 5 + i at position 1, so the first token after [CLS] names the row.
    const rowsOf = (step: number) => {
      const ids = unmask(batcher.batchAt(step));
      return [0, 1, 2, 3].map((b) => ids[b * 16 + 1] - 5);
    };
    const epoch0 = [0, 1, 2, 3, 4, 5].flatMap(rowsOf);
    const epoch1 = [6, 7, 8, 9, 10, 11].flatMap(rowsOf);
    const all = Array.from({ length: 24 }, (_, i) => i);
    expect([...epoch0].sort((x, y) => x - y)).toEqual(all);
    expect([...epoch1].sort((x, y) => x - y)).toEqual(all);
    expect(epoch1).not.toEqual(epoch0);
  });

  it('rejects bad arguments with the allowed range', () => {
    expect(() => makeBatcher({ sequences: seqs, batchSize: 0, seed: 1 })).toThrow('batchSize = 0 is invalid: expected an integer >= 1');
    expect(() => makeBatcher({ sequences: seqs, batchSize: 2, seed: 1 }).batchAt(-1)).toThrow('step = -1 is invalid');
    expect(() => makeBatcher({ sequences: seqs, batchSize: 2, seed: -1 })).toThrow('seed = -1 is invalid');
    expect(() => makeBatcher({ sequences: seqs, batchSize: 2, seed: 1, masking: { selectProb: 0 } })).toThrow(
      'selectProb = 0 is invalid: expected a number in (0, 1]',
    );
    expect(() => makeBatcher({ sequences: seqs, batchSize: 2, seed: 1, masking: { maskProb: 0.95 } })).toThrow(
      'maskProb = 0.95, randomProb = 0.1 are invalid',
    );
  });
});

describe('evalBatches', () => {
  const seqs = randomSequences(10, 16, 500);

  it('is a fixed list: same arguments, same batches; rows in order, last batch smaller', () => {
    const a = evalBatches(seqs, 4, 123);
    expect(evalBatches(seqs, 4, 123)).toEqual(a);
    expect(a.map((b) => b.batchSize)).toEqual([4, 4, 2]);
    expect(unmask(a[0]).slice(0, 16)).toEqual(sequenceAt(seqs, 0));
    expect(unmask(a[2]).slice(16, 32)).toEqual(sequenceAt(seqs, 9));
    expect([...evalBatches(seqs, 4, 124)[0].inputIds]).not.toEqual([...a[0].inputIds]);
  });

  it('spreads a capped number of sequences over the whole split', () => {
    // cap 4 of S = 10: rows floor(i * 10 / 4) = 0, 2, 5, 7.
    const [batch] = evalBatches(seqs, 8, 1, { maxSequences: 4 });
    const ids = unmask(batch);
    expect([0, 1, 2, 3].map((b) => ids[b * 16 + 1] - 5)).toEqual([0, 2, 5, 7]);
  });
});
