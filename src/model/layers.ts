/**
 * The model's building blocks, each with a hand-written gradient (tf.customGrad).
 *
 * Why by hand: on the wasm backend, matMul with transpose flags or batch dimensions runs ~10x slower
 * than a plain 2-D matMul, and tfjs's own gradients use those flags; a column sum over axis 0
 * transposes first. So every backward here uses explicit transposes (transpose2d) + flag-free 2-D
 * matMuls, and sums rows as ones(1, N) @ dy. Inputs are 2-D (rows, features) throughout.
 * All functions borrow their arguments and return new tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { transpose2d } from '../runtime/kernels.js';

type Forward<T extends tf.Tensor> = (
  inputs: tf.Tensor[],
  save: (tensors: tf.Tensor[]) => void,
) => { value: T; gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor[] };

/** tf.customGrad with the save function split off from the tensor arguments; the backward is tidied. */
export function customOp<T extends tf.Tensor>(forward: Forward<T>): (...inputs: tf.Tensor[]) => T {
  const f = (...args: unknown[]) => {
    const save = args.pop() as (tensors: tf.Tensor[]) => void;
    const { value, gradFunc } = forward(args as tf.Tensor[], save);
    // tfjs runs gradFunc outside any per-node tidy: without this one, every intermediate of the
    // backward pass would stay alive until the whole backward pass ends.
    return { value, gradFunc: (dy: T, saved: tf.Tensor[]) => tf.tidy(() => gradFunc(dy, saved)) };
  };
  return tf.customGrad(f as Parameters<typeof tf.customGrad<T>>[0]);
}

/** Column sums of a 2-D tensor: 1^T x, as a flag-free matMul.  x (N, F) -> (F) */
export function sumRows(x: tf.Tensor): tf.Tensor1D {
  const [n, f] = x.shape;
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, n]), x as tf.Tensor2D), [f])); // (F)
}

/**
 * Dense layer: y = x @ kernel + bias.  x (N, in), kernel (in, out), bias (out) -> (N, out)
 * Gradients: dx = dy kernel^T, dkernel = x^T dy, dbias = 1^T dy.
 */
export const dense = customOp<tf.Tensor2D>(([x, kernel, bias], save) => {
  save([x, kernel]);
  const value = tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), bias) as tf.Tensor2D; // (N, out)
  return {
    value,
    gradFunc: (dy, [xs, ks]) => [
      tf.matMul(dy, transpose2d(ks as tf.Tensor2D)), // (N, in)
      tf.matMul(transpose2d(xs as tf.Tensor2D), dy), // (in, out)
      sumRows(dy), // (out)
    ],
  };
});

/**
 * LayerNorm over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta, var biased.
 * x (N, H), gamma (H), beta (H) -> (N, H).  With xhat = (x - mean) * rstd and g = dy * gamma:
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dgamma = 1^T (dy * xhat),  dbeta = 1^T dy.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  const op = customOp<tf.Tensor2D>(([xs, gm, bt], save) => {
    const mean = tf.mean(xs, -1, true); // (N, 1)
    const centered = tf.sub(xs, mean); // (N, H)
    const variance = tf.mean(tf.square(centered), -1, true); // (N, 1)
    const rstd = tf.rsqrt(tf.add(variance, eps)); // (N, 1)
    const xhat = tf.mul(centered, rstd); // (N, H)
    save([xhat, rstd, gm]);
    return {
      value: tf.add(tf.mul(xhat, gm), bt) as tf.Tensor2D, // (N, H)
      gradFunc: (dy, [xh, rs, g0]) => {
        const g = tf.mul(dy, g0); // (N, H)
        const meanG = tf.mean(g, -1, true); // (N, 1)
        const meanGX = tf.mean(tf.mul(g, xh), -1, true); // (N, 1)
        const dx = tf.mul(rs, tf.sub(tf.sub(g, meanG), tf.mul(xh, meanGX))); // (N, H)
        return [dx, sumRows(tf.mul(dy, xh)), sumRows(dy)];
      },
    };
  });
  return op(x, gamma, beta);
}

/**
 * Exact GELU: gelu(x) = x * Phi(x), Phi(x) = 0.5 (1 + erf(x / sqrt 2)).
 * gelu'(x) = Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi).  Any shape.
 */
export const gelu = customOp<tf.Tensor>(([x], save) => {
  const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))); // Phi(x)
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy, [xs, phi]) => {
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), 1 / Math.sqrt(2 * Math.PI)); // phi(x)
      return [tf.mul(dy, tf.add(phi, tf.mul(xs, pdf)))];
    },
  };
});

/**
 * Row lookup: out[i, :] = table[ids[i], :].  table (R, H), ids (N) int32 -> (N, H).
 * Gradient: dtable = scatter-add of dy rows into (R, H) (duplicate ids add up).
 * Implemented with gatherND/scatterND: both exist on every backend, and on wasm gatherND is ~10x
 * faster than gather (and gather's own gradient needs UnsortedSegmentSum).
 */
export function lookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const shape = table.shape;
  const op = customOp<tf.Tensor2D>(([t, index], save) => {
    save([index]);
    return {
      value: tf.gatherND(t, index) as tf.Tensor2D, // (N, H)
      gradFunc: (dy, [idx]) => [tf.scatterND(idx, dy, shape), tf.zerosLike(idx)], // (R, H)
    };
  });
  return tf.tidy(() => op(table, tf.reshape(ids, [ids.shape[0], 1]))); // index (N, 1)
}

/** Multiplies by a fixed keep mask (entries 0 or 1/(1-p)) when one is given; the identity otherwise. */
export function applyKeep<T extends tf.Tensor>(x: T, keep: tf.Tensor | undefined): T {
  return keep === undefined ? x : (tf.mul(x, keep) as T);
}
