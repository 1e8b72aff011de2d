/** bfloat16 conversion (src/core/bf16.ts) against hand-worked bit patterns. */
import { describe, expect, it } from 'vitest';
import { fromBf16, toBf16 } from '../../src/core/bf16.js';

describe('bfloat16', () => {
  it('keeps values that fit exactly, and their sign', () => {
    for (const x of [0, 1, -2, 0.5, 3.5, 1 / 128, -65536]) expect(fromBf16(toBf16(x))).toBe(x);
    expect(toBf16(1)).toBe(0x3f80);
    expect(toBf16(-2)).toBe(0xc000);
  });

  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-8 lies halfway between 1 (0x3f80, even) and 1 + 2^-7 (0x3f81): ties go to the even pattern
    expect(toBf16(1 + 2 ** -8)).toBe(0x3f80);
    // 1 + 3 * 2^-8 lies halfway between 0x3f81 (odd) and 0x3f82 (even)
    expect(toBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    // just above the halfway point rounds up
    expect(toBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    const x = Math.PI;
    expect(Math.abs(fromBf16(toBf16(x)) - x)).toBeLessThanOrEqual(x * 2 ** -8);
  });

  it('keeps infinities and NaN', () => {
    expect(fromBf16(toBf16(Infinity))).toBe(Infinity);
    expect(fromBf16(toBf16(-Infinity))).toBe(-Infinity);
    expect(Number.isNaN(fromBf16(toBf16(NaN)))).toBe(true);
  });
});
