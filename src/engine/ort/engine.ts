/**
 * The `ort` engine: loss and gradients from one compiled onnxruntime graph (forward and hand-written
 * backward, src/engine/ort/graphs.ts; evaluation in evaluator.ts). Parameters stay tfjs tensors owned by
 * the training loop; each call reads them to the host, runs the graph, and returns the gradients as new
 * tfjs tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../../data/batch.js';
import { OrtSession, type SessionOptions } from '../../runtime/ort.js';
import type { BertConfig } from '../../model/config.js';
import { checkHostParams, paramShapes } from '../../model/onnx/bert-params.js';
import type { HostParams, ParamMap } from '../../core/params.js';
import type { Engine, EvalResult, LossAndGrads } from '../types.js';
import { dropoutFeeds } from './dropout.js';
import { batchFeeds, paramFeeds } from './feeds.js';
import { createOrtEvaluator } from './evaluator.js';
import { buildGradGraph, gradOutput, TRAINING_SESSION } from './graphs.js';
import { checkOrtConfig } from './loss-and-grads.js';

/**
 * Reads every parameter tensor to a host array (dataSync: one read per tensor; the arrays are not
 * written to). Borrows the tensors. Throws unless names and shapes match the config.
 */
function readParams(c: BertConfig, params: ParamMap): HostParams {
  const host: HostParams = {};
  for (const name of Object.keys(params)) {
    const t = params[name];
    if (t.dtype !== 'float32') throw new Error(`parameter "${name}" has dtype ${t.dtype}: the ort engine needs float32`);
    host[name] = { shape: [...t.shape], data: t.dataSync() as Float32Array };
  }
  checkHostParams(c, host);
  return host;
}

export interface OrtEngineOptions extends SessionOptions {
  /** Seeds the dropout keep-masks rng(seed, 'dropout', step, site) when config.dropout > 0 (default 0). */
  seed?: number;
}

/** Builds the gradient graph for `config` and loads it (and, on first use, the evaluation graph). */
export async function createOrtEngine(config: BertConfig, options: OrtEngineOptions = {}): Promise<Engine> {
  checkOrtConfig(config);
  const seed = options.seed ?? 0;
  const shapes = paramShapes(config);
  const gradSession = await OrtSession.create(buildGradGraph(config), { ...TRAINING_SESSION, ...options }, 'the ort gradient graph');
  const evaluator = createOrtEvaluator(config, options);

  return {
    name: 'ort',
    config,

    /** Borrows `params`; the gradients are new tensors owned by the caller. `step` seeds dropout. */
    async lossAndGrads(params: ParamMap, batch: MlmBatch, step: number): Promise<LossAndGrads> {
      const feeds = paramFeeds(readParams(config, params), batchFeeds(config, batch));
      if (config.dropout > 0) dropoutFeeds(config, batch, seed, step, feeds);
      const out = await gradSession.run(feeds);
      const grads: Record<string, tf.Tensor> = {};
      for (const name of Object.keys(shapes)) {
        grads[name] = tf.tensor(out[gradOutput(name)].data as Float32Array, shapes[name], 'float32');
      }
      return { loss: out.loss.data[0] as number, accuracy: out.accuracy.data[0] as number, grads };
    },

    /** Borrows `params`; no dropout. */
    evaluate: (params: ParamMap, batches: MlmBatch[]): Promise<EvalResult> => evaluator.evaluate(readParams(config, params), batches),

    async dispose(): Promise<void> {
      await gradSession.release();
      await evaluator.dispose();
    },
  };
}
