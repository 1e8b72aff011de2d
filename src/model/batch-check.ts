/**
 * Input checks (parameters, batches) before any tensor is built: wrong lengths or out-of-range ids would otherwise fail deep
 * inside a kernel (or, on wasm, read out of bounds). Errors name the bad value and the fix.
 */
import type { MlmBatch } from '../data/batch.js';
import type { ParamMap } from '../core/params.js';
import type { BertConfig } from './config.js';
import { paramShapes } from './init.js';
import { checkNamesAndShapes, shapesOf } from '../core/param-shapes.js';

/** The encoder's inputs (an MlmBatch has these and more). All arrays are (B T), row-major. */
export interface EncoderInputs {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLen: number;
}

function checkRange(what: string, values: Int32Array, limit: number, hint: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0 && v < limit)) throw new Error(`${what}[${i}] = ${v} is outside [0, ${limit}): ${hint}`);
  }
}

export function checkInputs(c: BertConfig, x: EncoderInputs): void {
  const { batchSize: B, seqLen: T } = x;
  if (!Number.isInteger(B) || B < 1) throw new Error(`batchSize = ${B} is invalid: expected an integer >= 1`);
  if (!Number.isInteger(T) || T < 1 || T > c.maxPositions) {
    throw new Error(`seqLen = ${T} is invalid: expected an integer in [1, ${c.maxPositions}] (config.maxPositions)`);
  }
  for (const key of ['inputIds', 'attentionMask', 'tokenTypeIds'] as const) {
    if (x[key].length !== B * T) throw new Error(`${key} has ${x[key].length} entries, expected batchSize * seqLen = ${B * T}`);
  }
  checkRange('inputIds', x.inputIds, c.vocabSize, 'the tokenizer vocabulary does not match config.vocabSize');
  checkRange('tokenTypeIds', x.tokenTypeIds, c.typeVocabSize, 'check config.typeVocabSize');
  checkRange('attentionMask', x.attentionMask, 2, 'use 1 for real tokens and 0 for padding');
}

export function checkBatch(c: BertConfig, b: MlmBatch): void {
  checkInputs(c, b);
  if (b.maskedLabels.length !== b.maskedPositions.length) {
    throw new Error(`maskedLabels has ${b.maskedLabels.length} entries but maskedPositions has ${b.maskedPositions.length}`);
  }
  checkRange('maskedPositions', b.maskedPositions, b.batchSize * b.seqLen, 'positions are flat indices b * seqLen + t');
  checkRange('maskedLabels', b.maskedLabels, c.vocabSize, 'labels are token ids below config.vocabSize');
}

/** How the model checks name the two sides of a name-and-shape mismatch (param-shapes.ts). */
export const MODEL_SIDES = {
  have: 'the parameters',
  want: 'the config',
  what: 'the parameters do not match the model config',
  remedy: 'check the config and the weights',
};

/** Throws unless `params` has exactly the model's parameter names and shapes for config `c`. */
export function checkParams(c: BertConfig, params: ParamMap): void {
  checkNamesAndShapes(shapesOf(params), paramShapes(c), MODEL_SIDES);
}
