/**
 * The MLM output layer (tied to the word embeddings) and the cross-entropy loss, with hand-written
 * gradients (flag-free 2-D matMuls; see layers.ts for why).
 */
import * as tf from '@tensorflow/tfjs-core';
import { transpose2d } from '../runtime/kernels.js';
import { customOp, sumRows } from './layers.js';

/**
 * logits = t @ E^T + bias.  t (N, H), E = word embeddings (V, H), bias (V) -> (N, V).
 * dt = dlogits E;  dE = (t^T dlogits)^T;  dbias = 1^T dlogits.
 */
export const tiedLogits = customOp<tf.Tensor2D>(([t, emb, bias], save) => {
  save([t, emb]);
  const value = tf.add(tf.matMul(t as tf.Tensor2D, transpose2d(emb as tf.Tensor2D)), bias) as tf.Tensor2D; // (N, V)
  return {
    value,
    gradFunc: (dy, [t0, e0]) => [
      tf.matMul(dy, e0 as tf.Tensor2D), // (N, H)
      transpose2d(tf.matMul(transpose2d(t0 as tf.Tensor2D), dy)), // (H, V) -> (V, H)
      sumRows(dy), // (V)
    ],
  };
});

/**
 * Mean cross-entropy over rows: loss = mean_i (logsumexp(z_i) - z_i[y_i]), computed stably with
 * z_i - max(z_i).  logits (N, V), labels (N) int32 -> scalar.
 * Gradient: dlogits = (softmax(z) - onehot(y)) * dloss / N.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const [n, vocab] = logits.shape;
  const op = customOp<tf.Scalar>(([z, y], save) => {
    const shifted = tf.sub(z, tf.max(z, -1, true)); // (N, V)
    const exps = tf.exp(shifted); // (N, V)
    const sums = tf.sum(exps, -1, true); // (N, 1)
    const rows = tf.reshape(tf.range(0, n, 1, 'int32'), [n, 1]); // (N, 1)
    const target = tf.concat([rows, tf.reshape(y, [n, 1])], 1); // (N, 2): (i, y_i)
    const picked = tf.gatherND(shifted, target); // (N) = z_i[y_i] - max
    const perRow = tf.sub(tf.reshape(tf.log(sums), [n]), picked); // (N)
    save([tf.div(exps, sums), target]); // softmax (N, V), target index
    return {
      value: tf.mean(perRow) as tf.Scalar,
      gradFunc: (dy, [probs, idx]) => {
        // onehot(y) via scatterND: tfjs-backend-wasm 4.22's oneHot returns all zeros for dtype float32.
        const onehot = tf.scatterND(idx, tf.ones([n]), [n, vocab]); // (N, V)
        return [tf.mul(tf.sub(probs, onehot), tf.div(dy, n)), tf.zeros([n], 'int32')];
      },
    };
  });
  return op(logits, labels);
}

/** Fraction of rows whose argmax equals the label.  logits (N, V), labels (N) int32 -> scalar. */
export function accuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32')) as tf.Scalar);
}
