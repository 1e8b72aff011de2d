/**
 * Held-out evaluation on onnxruntime from host parameters: loss and accuracy only (the evaluation graph,
 * no backward pass), token-weighted over the batches. Used by the ort engine and by the fused training
 * step, whose parameters live on the host.
 */
import type { MlmBatch } from '../../data/batch.js';
import { OrtSession, type SessionOptions } from '../../runtime/ort.js';
import type { BertConfig } from '../../model/config.js';
import { checkHostParams } from '../../model/onnx/bert-params.js';
import type { HostParams } from '../../core/params.js';
import type { EvalResult } from '../types.js';
import { batchFeeds, paramFeeds } from './feeds.js';
import { buildEvalGraph, TRAINING_SESSION } from './graphs.js';

export interface OrtEvaluator {
  /** Mean loss and accuracy over the selected positions of all batches; borrows `params`. No dropout. */
  evaluate(params: HostParams, batches: MlmBatch[]): Promise<EvalResult>;
  dispose(): Promise<void>;
}

/** The evaluation graph for `config`, loaded on first use. */
export function createOrtEvaluator(config: BertConfig, options: SessionOptions = {}): OrtEvaluator {
  let session: OrtSession | undefined;
  return {
    async evaluate(params, batches) {
      checkHostParams(config, params);
      session ??= await OrtSession.create(buildEvalGraph(config), { ...TRAINING_SESSION, ...options }, 'the ort evaluation graph');
      let lossSum = 0,
        hitSum = 0,
        tokens = 0;
      for (const batch of batches) {
        if (batch.maskedPositions.length === 0) continue; // nothing to score
        const out = await session.run(paramFeeds(params, batchFeeds(config, batch)), ['loss', 'accuracy']);
        const n = batch.maskedPositions.length;
        lossSum += (out.loss.data[0] as number) * n; // token-weighted mean over batches
        hitSum += (out.accuracy.data[0] as number) * n;
        tokens += n;
      }
      if (tokens === 0) return { loss: NaN, accuracy: NaN, tokens: 0 }; // as the tfjs engine
      return { loss: lossSum / tokens, accuracy: hitSum / tokens, tokens };
    },
    async dispose() {
      await session?.release();
    },
  };
}
