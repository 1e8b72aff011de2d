/**
 * Initial weights: a pure function of (config, seed), drawn in JS from rng(seed, 'init') in sorted-name
 * order, so every backend and engine starts from the same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { presetConfig } from '../../src/model/config.js';
import { initParams, initValues, paramShapes } from '../../src/model/init.js';
import { rng } from '../../src/core/random.js';
import { smallConfig } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('initParams', () => {
  test('same seed gives identical weights, another seed different ones', () => {
    const a = initValues(smallConfig, 5),
      b = initValues(smallConfig, 5),
      c = initValues(smallConfig, 6);
    for (const name of Object.keys(a)) {
      expect(b[name].data, name).toEqual(a[name].data);
    }
    expect(c['embeddings.word_embeddings'].data).not.toEqual(a['embeddings.word_embeddings'].data);
    // tensors hold exactly the host values
    const t = initParams(smallConfig, 5);
    expect(Float32Array.from(t['encoder.layer.1.output.dense.kernel'].dataSync())).toEqual(a['encoder.layer.1.output.dense.kernel'].data);
    tf.dispose(Object.values(t));
  });

  test('follows the stream: sorted names, row-major, truncated normals only for kernels and embeddings', () => {
    const v = initValues(smallConfig, 9);
    const names = Object.keys(v);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(Object.keys(paramShapes(smallConfig)));
    // Re-draw the stream by hand in the same order.
    const stream = rng(9, 'init');
    for (const name of names) {
      const data = v[name].data;
      if (name.endsWith('.gamma'))
        expect(
          data.every((x) => x === 1),
          name,
        ).toBe(true);
      else if (name.endsWith('.beta') || name.endsWith('.bias'))
        expect(
          data.every((x) => x === 0),
          name,
        ).toBe(true);
      else
        for (let j = 0; j < data.length; j++)
          expect(data[j], `${name}[${j}]`).toBe(Math.fround(stream.truncatedNormal(smallConfig.initStd)));
    }
  });

  test('truncated normal statistics on tiny', () => {
    // N(0, s) truncated at |x| <= 2s has std s * sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.8796 s,
    // with phi(2) = 0.053991 and 2 Phi(2) - 1 = 0.954500.
    const config = presetConfig('tiny');
    const w = initValues(config, 0)['embeddings.word_embeddings'].data; // 8192 x 128 = 1M draws
    let sum = 0,
      sq = 0,
      max = 0;
    for (const x of w) {
      sum += x;
      sq += x * x;
      max = Math.max(max, Math.abs(x));
    }
    const std = Math.sqrt(sq / w.length - (sum / w.length) ** 2);
    expect(std).toBeCloseTo(0.8796 * 0.02, 4);
    expect(Math.abs(sum / w.length)).toBeLessThan(1e-4);
    expect(max).toBeLessThanOrEqual(0.04 + 1e-9);
  });
});
