import { describe, expect, it } from 'vitest';
import { validateCompareOptions } from '../../src/compare/options.js';
import { allStaticVariants } from '../../src/compare/variants.js';
import { RECOMMENDED_CAP_RATIO, RECOMMENDED_METHOD } from '../../src/schedule/compress.js';

describe('static variants', () => {
  it('sweeps stability caps for step-norm schedules too, naming them by the cap; cap 0 keeps the uncapped name', () => {
    const variants = allStaticVariants(validateCompareOptions({ methods: ['constant'], capRatios: [0, 2] }));
    expect(variants.map((v) => v.name)).toEqual([
      'tensor-p0.1-constant-skip0.2-norm-factored-e0.5', 'tensor-p0.1-constant-skip0.2-cap2-norm-factored-e0.5']);
    expect(variants.map((v) => [v.compress.capRatio, v.compress.target])).toEqual([[0, 'stepNorm'], [2, 'stepNorm']]);
  });
});

describe('static variants by default', () => {
  it('use the recommended method, step norms with the factored preconditioner, and the recommended cap', () => {
    const variants = allStaticVariants(validateCompareOptions({ targets: ['multiplier', 'stepNorm'] }));
    const cap = RECOMMENDED_CAP_RATIO > 0 ? `-cap${RECOMMENDED_CAP_RATIO}` : '';
    expect(variants.map((v) => [v.name, v.compress.method, v.compress.capRatio])).toEqual([
      [`tensor-p0.1-${RECOMMENDED_METHOD}-skip0.2`, RECOMMENDED_METHOD, 0],
      [`tensor-p0.1-${RECOMMENDED_METHOD}-skip0.2${cap}-norm-factored-e0.5`, RECOMMENDED_METHOD, RECOMMENDED_CAP_RATIO]]);
    expect(RECOMMENDED_METHOD).toBe('factorized');
  });
});
