/**
 * Held-out MLM loss and accuracy through onnxruntime, with the same definition as the tfjs `evaluate`
 * (src/model/bert.ts): token-weighted means over the selected positions of all batches,
 *   loss = mean_j [ logsumexp(logits_j) - logits_j[label_j] ],  accuracy = mean_j [ argmax(logits_j) == label_j ]
 * computed here in float64 from the exported model's full-sequence logits.
 *
 * The same means are also split by what the input showed at the selected position ([MASK], random or kept;
 * src/data/input-kind.ts).
 */
import type { MlmBatch } from '../../data/batch.js';
import type { EvalResult } from '../../engine/types.js';
import { inputKind, type InputKind } from '../../data/input-kind.js';
import type { OrtMlm } from './model.js';

export interface OrtEvalResult extends EvalResult {
  /** The same loss and accuracy over the selected positions of each input kind (module comment). */
  byInput: Record<InputKind, EvalResult>;
}

/** Token-weighted sums of loss and hits, turned into means by `result`. */
class Tally {
  lossSum = 0;
  correct = 0;
  tokens = 0;
  add(loss: number, hit: boolean): void {
    this.lossSum += loss;
    this.correct += hit ? 1 : 0;
    this.tokens++;
  }
  result(): EvalResult {
    return this.tokens === 0
      ? { loss: NaN, accuracy: NaN, tokens: 0 }
      : { loss: this.lossSum / this.tokens, accuracy: this.correct / this.tokens, tokens: this.tokens };
  }
}

/** Cross-entropy of one logits row against `label`, and whether the label is the (first) argmax. */
export function rowLossAndHit(logits: Float32Array, offset: number, V: number, label: number): { loss: number; hit: boolean } {
  let max = -Infinity,
    argmax = 0;
  for (let v = 0; v < V; v++) {
    if (logits[offset + v] > max) {
      max = logits[offset + v];
      argmax = v;
    }
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
  model: OrtMlm,
  batches: MlmBatch[],
  onBatch?: (done: number, total: number) => void,
): Promise<OrtEvalResult> {
  const V = model.config.vocabSize;
  const all = new Tally();
  const byInput = { mask: new Tally(), random: new Tally(), kept: new Tally() };
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b];
    const n = batch.maskedPositions.length;
    if (n > 0) {
      const logits = await model.logits(batch); // (B, T, V)
      for (let j = 0; j < n; j++) {
        const label = batch.maskedLabels[j];
        if (!(label >= 0 && label < V))
          throw new Error(`maskedLabels[${j}] = ${label} is outside [0, ${V}): the data does not match the model's vocabulary`);
        const position = batch.maskedPositions[j];
        const { loss, hit } = rowLossAndHit(logits, position * V, V, label);
        all.add(loss, hit);
        byInput[inputKind(batch.inputIds[position], label)].add(loss, hit);
      }
    }
    onBatch?.(b + 1, batches.length);
  }
  return { ...all.result(), byInput: { mask: byInput.mask.result(), random: byInput.random.result(), kept: byInput.kept.result() } };
}
