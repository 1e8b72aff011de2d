/**
 * The tfjs engine: the reference engine, on whichever tfjs backend is active (tensorflow, wasm, cpu).
 * It wraps the model's pure functions (src/model/bert.ts); the backend is chosen beforehand with
 * initBackend (src/runtime/backend.ts).
 */
import type { MlmBatch } from '../data/batch.js';
import { evaluate, lossAndGrads } from '../model/bert.js';
import { validateConfig, type BertConfig } from '../model/config.js';
import type { ParamMap } from '../core/params.js';
import type { Engine, EvalResult, LossAndGrads } from './types.js';

export interface TfjsEngineOptions {
  /** Seeds the dropout masks, rng(seed, 'dropout', step), when config.dropout > 0 (default 0). */
  seed?: number;
}

/** An Engine computing loss and gradients with tfjs autodiff over the model's forward pass. */
export function createTfjsEngine(config: BertConfig, options: TfjsEngineOptions = {}): Engine {
  validateConfig(config);
  const seed = options.seed ?? 0;
  return {
    name: 'tfjs',
    config,
    /** Borrows `params`; the gradients are new tensors owned by the caller. */
    async lossAndGrads(params: ParamMap, batch: MlmBatch, step: number): Promise<LossAndGrads> {
      return lossAndGrads(params, config, batch, { training: true, seed, step });
    },
    /** Borrows `params`; no dropout. */
    async evaluate(params: ParamMap, batches: MlmBatch[]): Promise<EvalResult> {
      return evaluate(params, config, batches);
    },
    async dispose(): Promise<void> {
      // Nothing held: parameters belong to the caller, intermediates are freed per call.
    },
  };
}
