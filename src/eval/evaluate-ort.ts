/**
 * Held-out MLM loss and accuracy through onnxruntime, with the same definition as the tfjs `evaluate`
 * (src/model/bert.ts): token-weighted means over the selected positions of all batches,
 *   loss = mean_j [ logsumexp(logits_j) - logits_j[label_j] ],  accuracy = mean_j [ argmax(logits_j) == label_j ]
 * computed here in float64 from the exported model's full-sequence logits.
 */
import type { MlmBatch } from '../data/batch.js';
import type { EvalResult } from '../engine/types.js';
import type { OrtMlm } from './model.js';

/** Cross-entropy of one logits row against `label`, and whether the label is the (first) argmax. */
export function rowLossAndHit(logits: Float32Array, offset: number, V: number, label: number): { loss: number; hit: boolean } {
  let max = -Infinity, argmax = 0;
  for (let v = 0; v < V; v++) {
    if (logits[offset + v] > max) { max = logits[offset + v]; argmax = v; }
  }
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[offset + v] - max);
  const logSumExp = max + Math.log(sum);
  return { loss: logSumExp - logits[offset + label], hit: argmax === label };
}

/**
 * Evaluates `batches` (no dropout). `onBatch(done, total)` reports progress. Batches without selected
 * positions are skipped; with none at all the result is { loss: NaN, accuracy: NaN, tokens: 0 }.
 */
export async function evaluateOrt(
  model: OrtMlm, batches: MlmBatch[], onBatch?: (done: number, total: number) => void,
): Promise<EvalResult> {
  const V = model.config.vocabSize;
  let lossSum = 0, correct = 0, tokens = 0;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b];
    const n = batch.maskedPositions.length;
    if (n > 0) {
      const logits = await model.logits(batch); // (B, T, V)
      for (let j = 0; j < n; j++) {
        const label = batch.maskedLabels[j];
        if (!(label >= 0 && label < V)) throw new Error(`maskedLabels[${j}] = ${label} is outside [0, ${V}): the data does not match the model's vocabulary`);
        const { loss, hit } = rowLossAndHit(logits, batch.maskedPositions[j] * V, V, label);
        lossSum += loss;
        correct += hit ? 1 : 0;
      }
      tokens += n;
    }
    onBatch?.(b + 1, batches.length);
  }
  if (tokens === 0) return { loss: NaN, accuracy: NaN, tokens: 0 };
  return { loss: lossSum / tokens, accuracy: correct / tokens, tokens };
}
