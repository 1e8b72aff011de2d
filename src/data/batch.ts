/**
 * The MLM batch that both engines (tfjs, onnxruntime) consume: plain typed arrays, row-major.
 */
export interface MlmBatch {
  batchSize: number; // B
  seqLen: number; // T
  /** (B*T) token ids after masking ([MASK] / random / kept), [PAD] = 0 where attentionMask is 0. */
  inputIds: Int32Array;
  /** (B*T) 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** (B*T) segment ids (all 0 for packed single-segment text). */
  tokenTypeIds: Int32Array;
  /** (N) flat indices b*T + t of the positions selected for prediction (15% of real, non-special tokens). */
  maskedPositions: Int32Array;
  /** (N) the original token id at each selected position. */
  maskedLabels: Int32Array;
}
