/**
 * The BERT-style masked language model as pure functions over a ParamMap (post-LayerNorm encoder,
 * exact GELU, MLM head tied to the word embeddings). Notation: B batch, T sequence, H hidden,
 * A heads, d = H / A, I intermediate, V vocab, N selected (masked) positions.
 *
 *   x = LN(word[ids] + pos[0..T) + type[typeIds]); dropout                          (B T, H)
 *   per layer: x = LN(x + dropout(attention(x) Wo + bo))
 *              x = LN(x + dropout(gelu(x W1 + b1) W2 + b2))
 *   head on the N selected rows: t = LN(gelu(h Wt + bt)); logits = t E^T + b_cls    (N, V)
 *   loss = mean cross-entropy(logits, labels); accuracy = mean(argmax == label)
 *
 * All functions borrow `params` and return new tensors owned by the caller.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.js';
import type { ParamMap } from '../core/params.js';
import { maskBias, selfAttention, type AttentionShape } from './attention.js';
import { checkBatch, checkInputs, checkParams, type EncoderInputs } from './batch-check.js';
import type { BertConfig } from './config.js';
import { keepMask, type DropoutContext } from './dropout.js';
import { applyKeep, dense, gelu, layerNorm, lookup } from './layers.js';
import { accuracy, softmaxCrossEntropy, tiedLogits } from './loss.js';

export { initParams, paramShapes } from './init.js';
export type { EncoderInputs } from './batch-check.js';

/** What lossAndGrads and evaluate return; every engine returns the same (src/engine/types.ts). */
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

export interface ForwardOptions {
  /** Training mode turns dropout on when config.dropout > 0 (it then needs `seed` and `step`). */
  training: boolean;
  seed?: number;
  step?: number;
}

const t2 = (p: ParamMap, name: string) => p[name] as tf.Tensor2D;
const t1 = (p: ParamMap, name: string) => p[name] as tf.Tensor1D;

function dropoutContext(config: BertConfig, opts: ForwardOptions): DropoutContext | undefined {
  if (!opts.training || config.dropout === 0) return undefined;
  if (opts.seed === undefined || opts.step === undefined) {
    throw new Error(`dropout = ${config.dropout} in training needs opts.seed and opts.step: pass both (or set dropout 0)`);
  }
  return { p: config.dropout, seed: opts.seed, step: opts.step };
}

/** The encoder output for every position.  -> (B, T, H) */
export function encode(params: ParamMap, config: BertConfig, inputs: EncoderInputs, opts: ForwardOptions): tf.Tensor3D {
  checkInputs(config, inputs);
  const drop = dropoutContext(config, opts);
  const { batchSize: B, seqLen: T } = inputs;
  const H = config.hiddenSize,
    A = config.numHeads;
  const shape: AttentionShape = { B, T, A, d: H / A };
  return tf.tidy(() => {
    const site = (name: string, dims: number[]) => keepMask(drop, name, dims);
    const positions = new Int32Array(B * T).map((_, i) => i % T);
    const summed = tf.addN([
      lookup(t2(params, 'embeddings.word_embeddings'), tf.tensor1d(inputs.inputIds, 'int32')),
      lookup(t2(params, 'embeddings.position_embeddings'), tf.tensor1d(positions, 'int32')),
      lookup(t2(params, 'embeddings.token_type_embeddings'), tf.tensor1d(inputs.tokenTypeIds, 'int32')),
    ]) as tf.Tensor2D; // (B T, H)
    const embLn = layerNorm(summed, t1(params, 'embeddings.LayerNorm.gamma'), t1(params, 'embeddings.LayerNorm.beta'), config.layerNormEps);
    let x = applyKeep(embLn, site('embeddings', [B * T, H])); // (B T, H)
    const bias = maskBias(inputs.attentionMask, B, T); // (B, 1, 1, T)
    for (let i = 0; i < config.numLayers; i++) {
      const pre = `encoder.layer.${i}.`;
      const n = (s: string) => pre + s;
      const ctx = selfAttention(
        x,
        {
          qKernel: t2(params, n('attention.self.query.kernel')),
          qBias: t1(params, n('attention.self.query.bias')),
          kKernel: t2(params, n('attention.self.key.kernel')),
          kBias: t1(params, n('attention.self.key.bias')),
          vKernel: t2(params, n('attention.self.value.kernel')),
          vBias: t1(params, n('attention.self.value.bias')),
        },
        bias,
        site(`layer.${i}.attention.probs`, [B * A * T, T]),
        shape,
      ); // (B T, H)
      const attnOut = dense(ctx, t2(params, n('attention.output.dense.kernel')), t1(params, n('attention.output.dense.bias')));
      x = layerNorm(
        tf.add(x, applyKeep(attnOut, site(`layer.${i}.attention.output`, [B * T, H]))),
        t1(params, n('attention.output.LayerNorm.gamma')),
        t1(params, n('attention.output.LayerNorm.beta')),
        config.layerNormEps,
      );
      const inner = gelu(dense(x, t2(params, n('intermediate.dense.kernel')), t1(params, n('intermediate.dense.bias')))); // (B T, I)
      const ffnOut = dense(inner as tf.Tensor2D, t2(params, n('output.dense.kernel')), t1(params, n('output.dense.bias'))); // (B T, H)
      x = layerNorm(
        tf.add(x, applyKeep(ffnOut, site(`layer.${i}.output`, [B * T, H]))),
        t1(params, n('output.LayerNorm.gamma')),
        t1(params, n('output.LayerNorm.beta')),
        config.layerNormEps,
      );
    }
    return tf.reshape(x, [B, T, H]) as tf.Tensor3D;
  });
}

/** MLM head on selected encoder rows: logits = LN(gelu(h Wt + bt)) E^T + b.  rows (N, H) -> (N, V) */
export function mlmLogits(params: ParamMap, config: BertConfig, rows: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const pre = 'cls.predictions.transform.';
    const h = gelu(dense(rows, t2(params, `${pre}dense.kernel`), t1(params, `${pre}dense.bias`))) as tf.Tensor2D; // (N, H)
    const t = layerNorm(h, t1(params, `${pre}LayerNorm.gamma`), t1(params, `${pre}LayerNorm.beta`), config.layerNormEps);
    return tiedLogits(t, t2(params, 'embeddings.word_embeddings'), t1(params, 'cls.predictions.bias')); // (N, V)
  });
}

/** Mean MLM cross-entropy and accuracy over the batch's selected positions (N >= 1). */
export function mlmLoss(
  params: ParamMap,
  config: BertConfig,
  batch: MlmBatch,
  opts: ForwardOptions,
): { loss: tf.Scalar; accuracy: tf.Scalar } {
  checkBatch(config, batch);
  const H = config.hiddenSize;
  const N = batch.maskedPositions.length;
  if (N === 0) throw new Error('the batch has no masked positions: the MLM loss is undefined (check the masking rate)');
  return tf.tidy(() => {
    const x = tf.reshape(encode(params, config, batch, opts), [batch.batchSize * batch.seqLen, H]) as tf.Tensor2D;
    const rows = lookup(x, tf.tensor1d(batch.maskedPositions, 'int32')); // (N, H)
    const logits = mlmLogits(params, config, rows); // (N, V)
    const labels = tf.tensor1d(batch.maskedLabels, 'int32'); // (N)
    return { loss: softmaxCrossEntropy(logits, labels), accuracy: accuracy(logits, labels) };
  });
}

/**
 * Loss, accuracy and the gradient of the mean loss w.r.t. every parameter, in one tf.tidy.
 * Borrows `params`; the gradients are new tensors owned by the caller.
 */
export function lossAndGrads(params: ParamMap, config: BertConfig, batch: MlmBatch, opts: ForwardOptions): LossAndGrads {
  checkParams(config, params);
  const names = Object.keys(params).sort();
  const { loss, acc, grads } = tf.tidy(() => {
    let acc: tf.Scalar | undefined;
    const f = (...tensors: tf.Tensor[]) => {
      const p: Record<string, tf.Tensor> = {};
      names.forEach((name, i) => (p[name] = tensors[i]));
      const out = mlmLoss(p, config, batch, opts);
      acc = tf.keep(out.accuracy); // kept past the gradient tape's tidy; disposed below
      return out.loss;
    };
    const { value, grads } = tf.valueAndGrads(f)(names.map((n) => params[n]));
    return { loss: value, acc: acc as tf.Scalar, grads };
  });
  // Read after the tidy (reading inside one is ~10x slower on wasm).
  const lossValue = loss.dataSync()[0];
  const accValue = acc.dataSync()[0];
  loss.dispose();
  acc.dispose();
  const out: Record<string, tf.Tensor> = {};
  names.forEach((name, i) => (out[name] = grads[i]));
  return { loss: lossValue, accuracy: accValue, grads: out };
}

/** Token-weighted mean loss and accuracy over all selected positions of all batches (no dropout). */
export function evaluate(params: ParamMap, config: BertConfig, batches: MlmBatch[]): EvalResult {
  let lossSum = 0,
    correct = 0,
    tokens = 0;
  for (const batch of batches) {
    const n = batch.maskedPositions.length;
    if (n === 0) continue;
    const { loss, accuracy } = mlmLoss(params, config, batch, { training: false });
    lossSum += loss.dataSync()[0] * n;
    correct += accuracy.dataSync()[0] * n;
    tf.dispose([loss, accuracy]);
    tokens += n;
  }
  if (tokens === 0) return { loss: NaN, accuracy: NaN, tokens: 0 };
  return { loss: lossSum / tokens, accuracy: correct / tokens, tokens };
}
