/**
 * A toy engine for loop tests: softmax regression standing in for the BERT model.
 * For each selected position i with input token x_i and label y_i:
 *   h_i = onehot(x_i) @ emb          (H)     (an embedding lookup written as a matmul)
 *   logits_i = h_i @ kernel + bias   (V)
 *   loss = mean_i CE(logits_i, y_i)
 * Batches are deterministic from (seed, step) and the label is (3 x + 1) mod V, so the loss can fall.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import type { MlmBatch } from '../../../src/data/batch.js';
import type { Engine, EvalResult, LossAndGrads } from '../../../src/engine/types.js';
import type { BertConfig } from '../../../src/model/config.js';
import type { ParamMap } from '../../../src/core/params.js';
import { rng } from '../../../src/core/random.js';

export const V = 12;
export const H = 4;

export const toyConfig: BertConfig = {
  vocabSize: V,
  hiddenSize: H,
  numLayers: 1,
  numHeads: 1,
  intermediateSize: 4,
  maxPositions: 8,
  typeVocabSize: 1,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.02,
};

export async function useCpu(): Promise<void> {
  await initBackend({ prefer: 'cpu' });
}

/** Initial toy parameters from rng(seed, 'init'), in sorted-name order. */
export function toyParams(seed = 1): Record<string, tf.Tensor> {
  const r = rng(seed, 'init');
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => r.truncatedNormal(0.5));
  return {
    bias: tf.zeros([V]),
    emb: tf.tensor(fill(V * H), [V, H]),
    kernel: tf.tensor(fill(H * V), [H, V]),
  };
}

/** B = 2 rows of T = 4 tokens, every position selected. */
export function toyBatch(seed: number, step: number): MlmBatch {
  const r = rng(seed, 'toy-batch', step);
  const B = 2,
    T = 4;
  const inputIds = Int32Array.from({ length: B * T }, () => r.int(V));
  return {
    batchSize: B,
    seqLen: T,
    inputIds,
    attentionMask: new Int32Array(B * T).fill(1),
    tokenTypeIds: new Int32Array(B * T),
    maskedPositions: Int32Array.from({ length: B * T }, (_, i) => i),
    maskedLabels: inputIds.map((x) => (3 * x + 1) % V),
  };
}

function lossOf(p: ParamMap, batch: MlmBatch): { loss: tf.Scalar; correct: tf.Tensor } {
  const ids = tf.gather(tf.tensor1d(batch.inputIds, 'int32'), tf.tensor1d(batch.maskedPositions, 'int32')); // (N)
  const x = tf.cast(tf.oneHot(ids, V), 'float32'); // (N, V)
  const h = tf.matMul(x, p['emb']); // (N, H)
  const logits = tf.add(tf.matMul(h, p['kernel']), p['bias']); // (N, V)
  const labels = tf.tensor1d(batch.maskedLabels, 'int32');
  const logp = tf.logSoftmax(logits); // (N, V)
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.cast(tf.oneHot(labels, V), 'float32')), 1))) as tf.Scalar;
  const correct = tf.equal(tf.argMax(logits, 1), labels);
  // An optional parameter outside the model: 0 * sum(unused) makes its gradient exactly zero.
  if (p['unused']) return { loss: tf.add(loss, tf.mul(tf.sum(p['unused']), 0)) as tf.Scalar, correct };
  return { loss, correct };
}

export function toyEngine(): Engine {
  return {
    name: 'tfjs',
    config: toyConfig,
    async lossAndGrads(params, batch): Promise<LossAndGrads> {
      const names = Object.keys(params).sort();
      const out = tf.tidy(() => {
        const f = (...ts: tf.Tensor[]): tf.Scalar => {
          const p: Record<string, tf.Tensor> = {};
          names.forEach((n, i) => (p[n] = ts[i]));
          return lossOf(p, batch).loss;
        };
        const { value, grads } = tf.valueAndGrads(f)(names.map((n) => params[n]));
        const acc = tf.mean(tf.cast(lossOf(params, batch).correct, 'float32'));
        return { value, grads, acc };
      });
      const loss = (await out.value.data())[0];
      const accuracy = (await out.acc.data())[0];
      out.value.dispose();
      out.acc.dispose();
      const grads: Record<string, tf.Tensor> = {};
      names.forEach((n, i) => (grads[n] = out.grads[i]));
      return { loss, accuracy, grads };
    },
    async evaluate(params, batches): Promise<EvalResult> {
      let sum = 0,
        correct = 0,
        tokens = 0;
      for (const b of batches) {
        const [l, c] = tf.tidy(() => {
          const { loss, correct } = lossOf(params, b);
          return [loss.dataSync()[0], tf.sum(tf.cast(correct, 'float32')).dataSync()[0]];
        });
        sum += l * b.maskedPositions.length;
        correct += c;
        tokens += b.maskedPositions.length;
      }
      return { loss: sum / tokens, accuracy: correct / tokens, tokens };
    },
    async dispose() {},
  };
}

/** Wraps an engine so that the gradient of `param` holds a NaN at `badStep`. */
export function nanAt(engine: Engine, badStep: number, param: string): Engine {
  return {
    ...engine,
    async lossAndGrads(params, batch, step) {
      const out = await engine.lossAndGrads(params, batch, step);
      if (step === badStep) {
        const g = out.grads[param];
        const data = Float32Array.from(g.dataSync() as Float32Array);
        data[1] = NaN;
        out.grads[param] = tf.tensor(data, g.shape);
        g.dispose();
      }
      return out;
    },
  };
}

/** Reference SGD for the tests: u = -lr g; state {count}. */
export function toySgd(lr: number) {
  return {
    spec: { name: 'toy-sgd', lr },
    init: () => ({ count: 0 }),
    update(grads: ParamMap, s: { count: number }): [Record<string, tf.Tensor>, { count: number }] {
      const u: Record<string, tf.Tensor> = {};
      for (const n of Object.keys(grads)) u[n] = tf.mul(grads[n], -lr);
      return [u, { count: s.count + 1 }];
    },
  };
}

export interface ToyAdamState {
  m: Record<string, tf.Tensor>;
  v: Record<string, tf.Tensor>;
  count: number;
  note: string;
}

/** Reference Adam for the tests (tensor state plus a count and a string, like real states). */
export function toyAdam(lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8) {
  return {
    spec: { name: 'toy-adam', lr, b1, b2, eps },
    init: (p: ParamMap): ToyAdamState => ({
      m: Object.fromEntries(Object.keys(p).map((n) => [n, tf.zerosLike(p[n])])),
      v: Object.fromEntries(Object.keys(p).map((n) => [n, tf.zerosLike(p[n])])),
      count: 0,
      note: 'adam',
    }),
    update(grads: ParamMap, s: ToyAdamState): [Record<string, tf.Tensor>, ToyAdamState] {
      const t = s.count + 1;
      const u: Record<string, tf.Tensor> = {},
        m: Record<string, tf.Tensor> = {},
        v: Record<string, tf.Tensor> = {};
      for (const n of Object.keys(grads)) {
        m[n] = tf.add(tf.mul(s.m[n], b1), tf.mul(grads[n], 1 - b1));
        v[n] = tf.add(tf.mul(s.v[n], b2), tf.mul(tf.square(grads[n]), 1 - b2));
        const mhat = tf.div(m[n], 1 - b1 ** t);
        const vhat = tf.div(v[n], 1 - b2 ** t);
        u[n] = tf.mul(tf.div(mhat, tf.add(tf.sqrt(vhat), eps)), -lr);
      }
      return [u, { m, v, count: t, note: s.note }];
    },
  };
}

/** Bytes of every tensor of a map, names sorted: for bit-identity checks. */
export function paramBytes(p: ParamMap): string {
  return Object.keys(p)
    .sort()
    .map((n) => {
      const d = p[n].dataSync() as Float32Array;
      return `${n}:${Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex')}`;
    })
    .join('|');
}
