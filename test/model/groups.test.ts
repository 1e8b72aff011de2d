/**
 * Every parameter of every preset belongs to exactly one group of each grouping (a GroupOf is a
 * function, so "exactly one" means: it returns a group for every name and never throws), and the group
 * sizes are the ones counted by hand from the parameter list (16 tensors per layer + 10 others).
 */
import { describe, expect, test } from 'vitest';
import { PRESETS, type PresetName } from '../../src/model/config.js';
import { groupingNames, isGroupingName, makeGroupOf, type GroupingName } from '../../src/model/groups.js';
import { paramShapes } from '../../src/model/init.js';

function groupSizes(names: string[], kind: GroupingName): Record<string, number> {
  const groupOf = makeGroupOf(kind);
  const sizes: Record<string, number> = {};
  for (const name of names) {
    const g = groupOf(name);
    sizes[g] = (sizes[g] ?? 0) + 1;
  }
  return sizes;
}

describe('parameter groupings', () => {
  for (const preset of Object.keys(PRESETS) as PresetName[]) {
    const L = PRESETS[preset].numLayers;
    const names = Object.keys(paramShapes(PRESETS[preset]));

    test(`${preset}: every parameter in one group of each grouping, group sizes counted by hand`, () => {
      expect(names.length).toBe(16 * L + 10);
      const total = (sizes: Record<string, number>) => Object.values(sizes).reduce((a, b) => a + b, 0);
      for (const kind of groupingNames) expect(total(groupSizes(names, kind))).toBe(names.length);

      const tensor = groupSizes(names, 'tensor');
      expect(Object.values(tensor).every((n) => n === 1)).toBe(true);

      const block: Record<string, number> = { embeddings: 5, cls: 5 };
      for (let i = 0; i < L; i++) block[`encoder.layer.${i}`] = 16;
      expect(groupSizes(names, 'block')).toEqual(block);

      // per layer: q,k kernels; v; out; ffn in; ffn out; 2 LayerNorms (gamma+beta); 6 dense biases
      expect(groupSizes(names, 'type')).toEqual({
        embedding: 3,
        'attention.qk.kernel': 2 * L,
        'attention.v.kernel': L,
        'attention.out.kernel': L,
        'ffn.in.kernel': L,
        'ffn.out.kernel': L,
        'head.kernel': 1,
        layernorm: 4 * L + 4, // + embeddings and head LayerNorms
        bias: 6 * L + 2, // + head transform bias and the MLM output bias
      });

      expect(groupSizes(names, 'global')).toEqual({ global: names.length });
    });
  }

  test('names outside the model and unknown groupings are refused', () => {
    expect(() => makeGroupOf('block')('decoder.weight')).toThrow(/"decoder.weight" is not a parameter/);
    expect(() => makeGroupOf('type')('encoder.layer.0.attention.self.query.weight')).toThrow(/not a parameter/);
    expect(() => makeGroupOf('layer' as GroupingName)).toThrow(/grouping "layer" is unknown: choose one of tensor, block, type, global/);
    expect(isGroupingName('type')).toBe(true);
    expect(isGroupingName('layer')).toBe(false);
  });

  test('examples of each grouping', () => {
    const name = 'encoder.layer.3.attention.self.key.kernel';
    expect(makeGroupOf('tensor')(name)).toBe(name);
    expect(makeGroupOf('block')(name)).toBe('encoder.layer.3');
    expect(makeGroupOf('type')(name)).toBe('attention.qk.kernel');
    expect(makeGroupOf('type')('cls.predictions.bias')).toBe('bias');
    expect(makeGroupOf('block')('cls.predictions.bias')).toBe('cls');
    expect(makeGroupOf('type')('embeddings.LayerNorm.gamma')).toBe('layernorm');
    expect(makeGroupOf('global')(name)).toBe('global');
  });
});
