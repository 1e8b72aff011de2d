/**
 * Loss and gradients of host parameters on onnxruntime, for measurements at fixed weights (the probe's
 * stability limits): the gradient graph and the evaluation graph, each loaded on first use, reading the
 * caller's arrays (borrowed, never copied or written).
 */
import type { MlmBatch } from '../../data/batch.js';
import { OrtSession } from '../../runtime/ort.js';
import type { BertConfig } from '../../model/config.js';
import { paramShapes } from '../../model/onnx/bert-params.js';
import type { HostParams } from '../../core/params.js';
import { dropoutFeeds } from './dropout.js';
import { createOrtEvaluator } from './evaluator.js';
import { batchFeeds, paramFeeds } from './feeds.js';
import { buildGradGraph, gradOutput, TRAINING_SESSION } from './graphs.js';

export interface HostLossModel {
  /** The training loss and every gradient (fresh arrays) at `params`; `step` seeds dropout. */
  lossAndGrads(params: HostParams, batch: MlmBatch, step: number): Promise<{ loss: number; grads: Record<string, Float32Array> }>;
  /** The evaluation loss at `params` (no dropout). */
  loss(params: HostParams, batch: MlmBatch): Promise<number>;
  dispose(): Promise<void>;
}

export function createHostLossModel(config: BertConfig, seed: number): HostLossModel {
  const names = Object.keys(paramShapes(config));
  const evaluator = createOrtEvaluator(config);
  let gradients: OrtSession | undefined;
  return {
    async lossAndGrads(params, batch, step) {
      gradients ??= await OrtSession.create(buildGradGraph(config), TRAINING_SESSION, 'the ort gradient graph');
      const feeds = paramFeeds(params, batchFeeds(config, batch));
      if (config.dropout > 0) dropoutFeeds(config, batch, seed, step, feeds);
      const out = await gradients.run(feeds, ['loss', ...names.map(gradOutput)]);
      return {
        loss: out.loss.data[0] as number,
        grads: Object.fromEntries(names.map((n) => [n, out[gradOutput(n)].data as Float32Array])),
      };
    },
    loss: async (params, batch) => (await evaluator.evaluate(params, [batch])).loss,
    async dispose() {
      await gradients?.release();
      await evaluator.dispose();
    },
  };
}
