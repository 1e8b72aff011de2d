/**
 * Count-based reference losses for masked-token prediction, to read a model's held-out loss against:
 * what a predictor that ignores the context (unigram) or sees only the left neighbour (bigram) scores
 * on the same masked positions.
 *
 *   unigram:  p(y) = (c(y) + a) / (sum_z c(z) + a K)            c: training counts of the K non-special ids
 *   bigram:   p(y | x) = lambda_x c(x, y) / c(x) + (1 - lambda_x) p(y),  lambda_x = c(x) / (c(x) + k)
 *
 * x is the token left of the masked position in the model's input (so [MASK] or a random replacement
 * when that neighbour was masked too: the bigram then sees what the model sees). Losses are mean
 * -ln p(label) over all masked positions of the batches; a = 0.5, k = 20. Special ids are never labels.
 */
import type { MlmBatch } from '../../data/batch.js';
import type { Sequences } from '../../data/pack.js';
import type { PreparedData } from '../../data/prepare.js';
import { heldoutBatches, type HeldoutSplit } from '../train/setup.js';

export interface CountBaselines {
  /** Mean cross-entropy of the unigram predictor over the masked positions. */
  unigram: number;
  /** Mean cross-entropy of the interpolated left-neighbour bigram predictor. */
  leftBigram: number;
  /** Masked positions scored. */
  tokens: number;
}

const ADD = 0.5; // a: add-a smoothing of the unigram
const BIGRAM_PRIOR = 20; // k: a left token seen k times trusts its bigram counts half

/** Unigram and left-bigram losses on the masked positions of `batches`, counted on `train`. */
export function countBaselines(train: Sequences, batches: readonly MlmBatch[]): CountBaselines {
  const V = train.vocabSize;
  const special = new Set(Object.values(train.specialIds));
  const K = V - [...special].filter((id) => id < V).length;
  const unigram = new Float64Array(V);
  const bigram = new Map<number, Map<number, number>>();
  const leftTotal = new Float64Array(V);
  const T = train.seqLen;
  for (let row = 0; row < train.count; row++) {
    for (let t = 0; t < T; t++) {
      const y = train.ids[row * T + t];
      if (special.has(y)) continue;
      unigram[y]++;
      if (t === 0) continue;
      const x = train.ids[row * T + t - 1];
      let next = bigram.get(x);
      if (!next) bigram.set(x, (next = new Map()));
      next.set(y, (next.get(y) ?? 0) + 1);
      leftTotal[x]++;
    }
  }
  const total = unigram.reduce((s, c) => s + c, 0);
  const pUnigram = (y: number): number => (unigram[y] + ADD) / (total + ADD * K);

  let uni = 0,
    bi = 0,
    n = 0;
  for (const b of batches) {
    b.maskedPositions.forEach((pos, i) => {
      const y = b.maskedLabels[i];
      const pu = pUnigram(y);
      uni -= Math.log(pu);
      const t = pos % b.seqLen;
      const x = t === 0 ? -1 : b.inputIds[pos - 1];
      const seen = x < 0 ? 0 : leftTotal[x];
      const lambda = seen / (seen + BIGRAM_PRIOR);
      const pb = seen === 0 ? pu : lambda * ((bigram.get(x)?.get(y) ?? 0) / seen) + (1 - lambda) * pu;
      bi -= Math.log(pb);
      n++;
    });
  }
  if (n === 0) throw new Error('the batches have no masked positions: nothing to score');
  return { unigram: uni / n, leftBigram: bi / n, tokens: n };
}

/**
 * The baselines on the held-out batches every run evaluates (`heldoutBatches`: `evalSequences` rows per
 * split, `batchSize` rows per batch, and the in-domain positions at [MASK] inputs); null for a split with
 * no positions to score (no sequences, or evaluation off).
 */
export function heldoutCountBaselines(
  data: PreparedData,
  batchSize: number,
  evalSequences: number,
): Record<HeldoutSplit, CountBaselines | null> {
  const batches = heldoutBatches({ batchSize, evalSequences }, data);
  const of = (split: HeldoutSplit): CountBaselines | null =>
    batches[split].some((b) => b.maskedPositions.length > 0) ? countBaselines(data.train, batches[split]) : null;
  return { heldout: of('heldout'), heldoutAtMask: of('heldoutAtMask'), ood: of('ood') };
}
