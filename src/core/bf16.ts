/**
 * bfloat16: the upper 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits), so float32's range at about
 * 3 significant digits in half the bytes. Conversion rounds to nearest, ties to even; NaN stays NaN.
 *
 *   toBf16(x)     = (bits(x) + 0x7fff + ((bits(x) >> 16) & 1)) >> 16      (bits: x's float32 bit pattern)
 *   fromBf16(h)   = float32 with bit pattern h << 16
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bfloat16 nearest to x (ties to even), as its 16-bit pattern. */
export function toBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return (bits >>> 16) | 0x0040; // NaN stays NaN
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** The float32 value of a bfloat16 bit pattern. */
export function fromBf16(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}
