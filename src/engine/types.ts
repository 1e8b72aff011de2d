/**
 * An engine computes the MLM loss and the gradients of every parameter for one batch.
 * Two engines exist: `tfjs` (the reference, any tfjs backend) and `ort` (a compiled onnxruntime graph).
 * The training loop keeps parameters as tfjs tensors (a ParamMap) and runs the optimizer arithmetic in tfjs,
 * so every optimizer works with every engine.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.js';
import type { BertConfig } from '../model/config.js';
import type { ParamMap } from '../params.js';

export type EngineName = 'tfjs' | 'ort';

export interface LossAndGrads {
  loss: number;
  accuracy: number;
  /** Gradient of the mean MLM loss w.r.t. each parameter; new tensors owned by the caller. */
  grads: Record<string, tf.Tensor>;
}

export interface EvalResult {
  /** Mean cross-entropy over all selected positions of all batches (token-weighted). */
  loss: number;
  accuracy: number;
  /** Number of selected positions evaluated. */
  tokens: number;
}

export interface Engine {
  readonly name: EngineName;
  readonly config: BertConfig;
  /** Borrows `params`. `step` seeds dropout when config.dropout > 0. */
  lossAndGrads(params: ParamMap, batch: MlmBatch, step: number): Promise<LossAndGrads>;
  /** Borrows `params`; no dropout. */
  evaluate(params: ParamMap, batches: MlmBatch[]): Promise<EvalResult>;
  /** Releases sessions / buffers. */
  dispose(): Promise<void>;
}
