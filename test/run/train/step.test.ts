import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nonFiniteGrads } from '../../../src/run/train/step.js';
import { useCpu } from './toy.js';

beforeAll(useCpu);

describe('nonFiniteGrads', () => {
  it('names exactly the tensors holding NaN, +Inf or -Inf, and not large finite values', () => {
    const grads = {
      'z.ok': tf.tensor([1, -2, 3.4e38, -3.4e38]), // float32 extremes are finite: sum(g * 0) = 0
      'b.inf': tf.tensor([Infinity, 0]),
      'c.neg': tf.tensor([[0, -Infinity]]),
      'a.nan': tf.tensor([0, 0, NaN]),
    };
    const before = tf.memory().numTensors;
    expect(nonFiniteGrads(grads)).toEqual(['a.nan', 'b.inf', 'c.neg']);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(grads));
  });
});
