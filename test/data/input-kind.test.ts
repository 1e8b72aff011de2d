/**
 * The [MASK]-input selection that evaluations use to report the loss where the model has only the context.
 */
import { describe, expect, it } from 'vitest';
import type { MlmBatch } from '../../src/data/batch.js';
import { atMaskInputs, inputKind } from '../../src/data/input-kind.js';
import { SPECIAL_IDS } from '../../src/data/tokenizer.js';

const M = SPECIAL_IDS.mask;

/** One sequence of 6 tokens; positions 1, 2, 4, 5 selected: [MASK], kept (label 11), random (12 for 13), [MASK]. */
function batch(): MlmBatch {
  return {
    batchSize: 1,
    seqLen: 6,
    inputIds: Int32Array.from([SPECIAL_IDS.cls, M, 11, 9, 12, M]),
    attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1]),
    tokenTypeIds: new Int32Array(6),
    maskedPositions: Int32Array.from([1, 2, 4, 5]),
    maskedLabels: Int32Array.from([10, 11, 13, 14]),
  };
}

describe('input kinds', () => {
  it('names what the input showed at a selected position', () => {
    expect(inputKind(M, 10)).toBe('mask');
    expect(inputKind(11, 11)).toBe('kept');
    expect(inputKind(12, 13)).toBe('random');
  });

  it('atMaskInputs keeps only the [MASK]-input positions, in order, with the inputs unchanged', () => {
    const b = batch();
    const only = atMaskInputs(b);
    expect([...only.maskedPositions]).toEqual([1, 5]);
    expect([...only.maskedLabels]).toEqual([10, 14]);
    expect([...only.inputIds]).toEqual([...b.inputIds]); // the model sees what it saw
    expect([...b.maskedPositions]).toEqual([1, 2, 4, 5]); // the original is untouched
  });

  it('atMaskInputs of a batch without [MASK] inputs scores nothing', () => {
    const b = batch();
    b.inputIds[1] = 10; // kept
    b.inputIds[5] = 7; // random
    expect(atMaskInputs(b).maskedPositions.length).toBe(0);
    expect(atMaskInputs(b).maskedLabels.length).toBe(0);
  });
});
