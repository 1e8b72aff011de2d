import { describe, expect, it } from 'vitest';
import type { MlmBatch } from '../../../src/data/batch.js';
import type { Sequences } from '../../../src/data/pack.js';
import { SPECIAL_IDS } from '../../../src/data/tokenizer.js';
import { countBaselines } from '../../../src/run/eval/count-baselines.js';

// Ids: 0-4 special ([PAD] [UNK] [CLS] [SEP] [MASK]), a = 5, b = 6; V = 7, so K = 2 non-special ids.
const CLS = 2,
  SEP = 3,
  MASK = 4,
  a = 5,
  b = 6;
const train: Sequences = {
  seqLen: 4,
  count: 2,
  vocabSize: 7,
  specialIds: SPECIAL_IDS,
  ids: Int32Array.from([CLS, a, b, SEP, CLS, a, a, SEP]),
};
const batch = (inputIds: number[], maskedPositions: number[], maskedLabels: number[]): MlmBatch => ({
  batchSize: 1,
  seqLen: 4,
  inputIds: Int32Array.from(inputIds),
  attentionMask: new Int32Array(4).fill(1),
  tokenTypeIds: new Int32Array(4),
  maskedPositions: Int32Array.from(maskedPositions),
  maskedLabels: Int32Array.from(maskedLabels),
});

describe('countBaselines', () => {
  it('matches the hand-computed unigram and interpolated bigram losses', () => {
    // Counts: a 3, b 1 (total 4): p(a) = 3.5 / 5 = 0.7, p(b) = 1.5 / 5 = 0.3 (add 0.5 over K = 2).
    // Bigrams: CLS->a 2, a->b 1, a->a 1; c(CLS) = c(a) = 2, lambda = 2 / 22 = 1/11.
    //   position 1 (label a, left CLS):  1/11 * 2/2 + 10/11 * 0.7 = 8/11
    //   position 2 (label b, left MASK): [MASK] never precedes a training token -> unigram 0.3
    //   position 2 of the second batch (label b, left a): 1/11 * 1/2 + 10/11 * 0.3 = 3.5/11
    const r = countBaselines(train, [batch([CLS, MASK, MASK, SEP], [1, 2], [a, b]), batch([CLS, a, b, SEP], [2], [b])]);
    expect(r.tokens).toBe(3);
    expect(r.unigram).toBeCloseTo(-(Math.log(0.7) + 2 * Math.log(0.3)) / 3, 12);
    expect(r.leftBigram).toBeCloseTo(-(Math.log(8 / 11) + Math.log(0.3) + Math.log(3.5 / 11)) / 3, 12);
  });

  it('refuses batches without masked positions', () => {
    expect(() => countBaselines(train, [batch([CLS, a, b, SEP], [], [])])).toThrow(/no masked positions/);
  });
});
