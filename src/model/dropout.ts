/**
 * Dropout keep-masks, drawn in plain JS so that every engine gets the same masks for a seed.
 *
 * keep[j] = 1 / (1 - p) if u_j < 1 - p else 0 (inverted dropout), with u_j the j-th uniform of the
 * stream rng(seed, 'dropout', step, site), row-major over the masked tensor. Sites and shapes:
 *   'embeddings'                 (B T, H)      after the embedding LayerNorm
 *   'layer.{i}.attention.probs'  (B, A, T, T)  attention probabilities
 *   'layer.{i}.attention.output' (B T, H)      attention output projection, before the residual add
 *   'layer.{i}.output'           (B T, H)      feed-forward output, before the residual add
 */
import * as tf from '@tensorflow/tfjs-core';
import { rng } from '../core/random.js';

export interface DropoutContext {
  /** Dropout probability p in (0, 1). */
  p: number;
  seed: number;
  step: number;
}

/** The keep mask of one site as host values (length `size`). */
export function keepMaskValues(ctx: DropoutContext, site: string, size: number): Float32Array {
  const stream = rng(ctx.seed, 'dropout', ctx.step, site);
  const keepProb = 1 - ctx.p;
  const scale = 1 / keepProb;
  const out = new Float32Array(size);
  for (let j = 0; j < size; j++) out[j] = stream.uniform() < keepProb ? scale : 0;
  return out;
}

/** The keep mask as a tensor of `shape`, or undefined when there is no dropout. Caller owns it. */
export function keepMask(ctx: DropoutContext | undefined, site: string, shape: number[]): tf.Tensor | undefined {
  if (ctx === undefined) return undefined;
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(keepMaskValues(ctx, site, size), shape, 'float32');
}
