/**
 * Parameter names, shapes and seeded initial values.
 *
 * Init (identical on every backend): parameters are visited in sorted-name order; embeddings and
 * kernels are filled row-major with truncatedNormal(initStd) draws from the one stream
 * rng(seed, 'init'); biases and LayerNorm betas are 0 and gammas 1 (they draw nothing).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HostParams } from '../core/params.js';
import { rng } from '../core/random.js';
import { validateConfig, type BertConfig } from './config.js';

/** name -> shape for every parameter, names in sorted (canonical) order. Allocates no tensors. */
export function paramShapes(c: BertConfig): Record<string, number[]> {
  const H = c.hiddenSize,
    I = c.intermediateSize;
  const s: Record<string, number[]> = {
    'embeddings.word_embeddings': [c.vocabSize, H],
    'embeddings.position_embeddings': [c.maxPositions, H],
    'embeddings.token_type_embeddings': [c.typeVocabSize, H],
    'embeddings.LayerNorm.gamma': [H],
    'embeddings.LayerNorm.beta': [H],
    'cls.predictions.transform.dense.kernel': [H, H],
    'cls.predictions.transform.dense.bias': [H],
    'cls.predictions.transform.LayerNorm.gamma': [H],
    'cls.predictions.transform.LayerNorm.beta': [H],
    'cls.predictions.bias': [c.vocabSize],
  };
  for (let i = 0; i < c.numLayers; i++) {
    const pre = `encoder.layer.${i}.`;
    for (const proj of ['query', 'key', 'value']) {
      s[`${pre}attention.self.${proj}.kernel`] = [H, H];
      s[`${pre}attention.self.${proj}.bias`] = [H];
    }
    s[`${pre}attention.output.dense.kernel`] = [H, H];
    s[`${pre}attention.output.dense.bias`] = [H];
    s[`${pre}attention.output.LayerNorm.gamma`] = [H];
    s[`${pre}attention.output.LayerNorm.beta`] = [H];
    s[`${pre}intermediate.dense.kernel`] = [H, I];
    s[`${pre}intermediate.dense.bias`] = [I];
    s[`${pre}output.dense.kernel`] = [I, H];
    s[`${pre}output.dense.bias`] = [H];
    s[`${pre}output.LayerNorm.gamma`] = [H];
    s[`${pre}output.LayerNorm.beta`] = [H];
  }
  const sorted: Record<string, number[]> = {};
  for (const name of Object.keys(s).sort()) sorted[name] = s[name];
  return sorted;
}

/** How a parameter starts: 'normal' (truncated normal), 'zeros' or 'ones'. */
export function initKind(name: string): 'normal' | 'zeros' | 'ones' {
  if (name.endsWith('.gamma')) return 'ones';
  if (name.endsWith('.beta') || name.endsWith('.bias')) return 'zeros';
  return 'normal'; // *.kernel and embeddings.*_embeddings
}

/** Initial parameters as host arrays (sorted names). */
export function initValues(config: BertConfig, seed: number): HostParams {
  validateConfig(config);
  const stream = rng(seed, 'init');
  const out: HostParams = {};
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const kind = initKind(name);
    if (kind === 'ones') data.fill(1);
    if (kind === 'normal') for (let j = 0; j < data.length; j++) data[j] = stream.truncatedNormal(config.initStd);
    out[name] = { shape, data };
  }
  return out;
}

/** Initial parameters as float32 tensors (new, owned by the caller). */
export function initParams(config: BertConfig, seed: number): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, { shape, data }] of Object.entries(initValues(config, seed))) out[name] = tf.tensor(data, shape, 'float32');
  return out;
}
