/**
 * An engine computes the MLM loss and the gradients of every parameter for one batch.
 * Two engines exist: `tfjs` (the reference, any tfjs backend) and `ort` (a compiled onnxruntime graph).
 * The training loop keeps parameters as tfjs tensors (a ParamMap) and runs the optimizer arithmetic in tfjs,
 * so every optimizer works with every engine.
 */
import type { MlmBatch } from '../data/batch.js';
import type { EvalResult, LossAndGrads } from '../model/bert.js';
import type { BertConfig } from '../model/config.js';
import type { ParamMap } from '../core/params.js';

/** What an engine returns is what the reference model computes (src/model/bert.ts). */
export type { EvalResult, LossAndGrads };

export type EngineName = 'tfjs' | 'ort';

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
