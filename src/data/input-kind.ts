/**
 * What the input showed at a position selected for prediction (BERT's 80/10/10 masking):
 *   mask:   the input was [MASK], so a prediction there comes from the context alone;
 *   random: the input was another token;
 *   kept:   the input was the label itself (a model can copy it).
 * A model that ignores its context scores about the unigram loss at [MASK] inputs however low its overall loss,
 * so evaluations report the loss at [MASK] inputs beside the overall one.
 */
import type { MlmBatch } from './batch.js';
import { SPECIAL_IDS } from './tokenizer.js';

export type InputKind = 'mask' | 'random' | 'kept';

/** What the input showed at a selected position whose label is `label`. */
export function inputKind(inputId: number, label: number): InputKind {
  return inputId === SPECIAL_IDS.mask ? 'mask' : inputId === label ? 'kept' : 'random';
}

/**
 * The same batch with only the selected positions whose input is [MASK]: the inputs are unchanged (the model sees
 * exactly what it saw), only fewer positions are scored. The positions keep their order.
 */
export function atMaskInputs(batch: MlmBatch): MlmBatch {
  const keep: number[] = [];
  for (let j = 0; j < batch.maskedPositions.length; j++) {
    if (inputKind(batch.inputIds[batch.maskedPositions[j]], batch.maskedLabels[j]) === 'mask') keep.push(j);
  }
  return {
    ...batch,
    maskedPositions: Int32Array.from(keep, (j) => batch.maskedPositions[j]),
    maskedLabels: Int32Array.from(keep, (j) => batch.maskedLabels[j]),
  };
}
