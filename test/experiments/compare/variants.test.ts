import { describe, expect, it } from 'vitest';
import { validateCompareOptions } from '../../../src/experiments/compare/options.js';
import { allStaticVariants } from '../../../src/experiments/compare/variants.js';
import { RECOMMENDED_CAP_RATIO, RECOMMENDED_METHOD } from '../../../src/schedule/compress.js';

describe('static variants', () => {
  it('sweeps stability caps for step-norm schedules too, naming them by the cap; cap 0 keeps the uncapped name', () => {
    const variants = allStaticVariants(validateCompareOptions({ methods: ['constant'], capRatios: [0, 2] }));
    expect(variants.map((v) => v.name)).toEqual([
      'tensor-p0.1-constant-skip0.2-norm-factored-e0.5',
      'tensor-p0.1-constant-skip0.2-cap2-norm-factored-e0.5',
    ]);
    expect(variants.map((v) => [v.compress.capRatio, v.compress.target])).toEqual([
      [0, 'stepNorm'],
      [2, 'stepNorm'],
    ]);
  });

  it('sweeps cap bases for every cap above 0, naming curvature caps -curvcap<r>; no cap stays one variant', () => {
    const o = validateCompareOptions({ methods: ['factorized'], capRatios: [0, 2], capBases: ['size', 'curvature'] });
    expect(allStaticVariants(o).map((v) => [v.name, v.compress.capRatio, v.compress.capBy])).toEqual([
      ['tensor-p0.1-factorized-skip0.2-norm-factored-e0.5', 0, undefined],
      ['tensor-p0.1-factorized-skip0.2-cap2-norm-factored-e0.5', 2, undefined],
      ['tensor-p0.1-factorized-skip0.2-curvcap2-norm-factored-e0.5', 2, 'curvature'],
    ]);
    expect(() => validateCompareOptions({ capBases: ['loss' as 'size'] })).toThrow(/capBases = \["loss"\] is invalid/);
  });
});

describe('static variants by default', () => {
  it('use the recommended method, step norms with the factored preconditioner, and the cap at 2', () => {
    const variants = allStaticVariants(validateCompareOptions({ targets: ['multiplier', 'stepNorm'] }));
    expect(variants.map((v) => [v.name, v.compress.method, v.compress.capRatio])).toEqual([
      ['tensor-p0.1-factorized-skip0.2-cap2', 'factorized', 2],
      ['tensor-p0.1-factorized-skip0.2-cap2-norm-factored-e0.5', 'factorized', 2],
    ]);
    expect([RECOMMENDED_METHOD, RECOMMENDED_CAP_RATIO]).toEqual(['factorized', 2]);
  });
});
