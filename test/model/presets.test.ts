/**
 * Preset sizes, derived by hand (vocabulary 8192, 512 positions, 2 token types):
 *   embeddings  V H + 512 H + 2 H + 2 H (LayerNorm)
 *   per layer   3 (H^2 + H) [q, k, v] + (H^2 + H) [attention out] + 2 H + (H I + I) + (I H + H) + 2 H
 *   head        (H^2 + H) [transform] + 2 H + V [output bias; the decoder is tied to the word embeddings]
 * base  (H 768,  L 12, I 3072): 6,687,744 + 12 x 7,087,872 + 600,320   =  92,342,528
 * large (H 1024, L 24, I 4096): 8,916,992 + 24 x 12,596,224 + 1,059,840 = 312,286,208
 */
import { describe, expect, it } from 'vitest';
import { paramShapes } from '../../src/model/bert.js';
import { presetConfig } from '../../src/model/config.js';

const count = (preset: string): number =>
  Object.values(paramShapes(presetConfig(preset))).reduce((n, shape) => n + shape.reduce((a, d) => a * d, 1), 0);

describe('presets', () => {
  it('base is BERT-base and large is BERT-large (hidden 1024, 24 layers, 16 heads, intermediate 4096)', () => {
    expect(presetConfig('large')).toMatchObject({ hiddenSize: 1024, numLayers: 24, numHeads: 16, intermediateSize: 4096 });
    expect(count('base')).toBe(92_342_528);
    expect(count('large')).toBe(312_286_208);
  });
});
