/**
 * The one array codec (src/formats/array-codec.ts): every dtype round-trips bit-exactly through msgpack, the bytes are
 * little-endian row-major as FORMAT.md says, packArray copies while borrowArray views, and a record graftlr never
 * writes is refused in one line naming the field.
 */
import { pack, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { arrayValues, borrowArray, checkPackedArray, packArray, unpackArray } from '../../src/formats/array-codec.js';

describe('array codec', () => {
  it('round-trips f32, f64, i32, u8 and bool through msgpack bit-exactly, with the shape', () => {
    const cases = [
      { a: Float32Array.from([1.5, -0, NaN, Infinity, 3e-39, -2]), shape: [2, 3], dtype: 'f32' as const },
      { a: Float64Array.from([Math.PI, -1e300, 5e-324]), shape: [3], dtype: 'f64' as const },
      { a: Int32Array.from([-2147483648, 0, 2147483647, 7]), shape: [2, 2], dtype: 'i32' as const },
      { a: Uint8Array.from([0, 255, 7]), shape: [3, 1], dtype: 'u8' as const },
      { a: Uint8Array.from([1, 0, 1, 1]), shape: [4], dtype: 'bool' as const },
    ];
    for (const { a, shape, dtype } of cases) {
      const rec = unpack(pack(packArray(a, shape, dtype)));
      expect(rec.dtype).toBe(dtype);
      expect(rec.shape).toEqual(shape);
      const back = unpackArray(rec, dtype);
      expect(back.constructor).toBe(a.constructor);
      expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(
        true,
      );
    }
  });

  it('writes little-endian bytes: 1.0f is 00 00 80 3f, int32 258 is 02 01 00 00', () => {
    expect([...packArray(Float32Array.of(1)).data]).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect([...packArray(Int32Array.of(258)).data]).toEqual([0x02, 0x01, 0x00, 0x00]);
  });

  it('packArray copies (a later change to the array does not reach the record); borrowArray is a view', () => {
    const a = Float32Array.from([1, 2, 3, 4]).subarray(1, 3); // a view with a nonzero offset
    const copied = packArray(a);
    const borrowed = borrowArray(a);
    a[0] = 99;
    expect(arrayValues(copied)).toEqual(Float32Array.from([2, 3]));
    expect(arrayValues(borrowed)).toEqual(Float32Array.from([99, 3]));
    expect(borrowed.data.buffer).toBe(a.buffer);
  });

  it('refuses a shape that does not hold the array, and a dtype the array cannot be', () => {
    expect(() => packArray(Float32Array.of(1, 2, 3), [2, 2])).toThrow('packArray: shape [2,2] holds 4 elements but the array has 3');
    expect(() => borrowArray(Float32Array.of(1), [1], 'i32')).toThrow('borrowArray: a Float32Array cannot be written as i32');
  });

  it('refuses records graftlr never writes, in one line naming the field', () => {
    const good = packArray(Float32Array.of(1, 2), [2]);
    const bad = (x: unknown, dtypes?: ('f32' | 'i32' | 'bool')[], shape?: (number | null)[]) => () =>
      checkPackedArray(x, 'params.w', dtypes, shape);
    expect(bad([1, 2])).toThrow('params.w: expected an array record {dtype, shape, data}');
    expect(bad({ ...good, dtype: 7 }, ['f32', 'i32', 'bool'])).toThrow('params.w: dtype must be a string (f32, i32 or bool)');
    expect(bad({ ...good, dtype: 'f16' })).toThrow('params.w: unknown dtype "f16" (expected f32, f64, i32, u8 or bool)');
    expect(bad({ ...good, dtype: 'f64' }, ['f32'])).toThrow('params.w: dtype f64, expected f32');
    expect(bad({ ...good, shape: [2 ** 40, 0] })).toThrow('params.w: bad shape [1099511627776,0]: expected integers in [0, 2147483647]');
    expect(bad({ ...good, shape: [65536, 65536] })).toThrow(
      'params.w: shape [65536,65536] declares 4294967296 elements, more than 2147483647',
    );
    expect(bad({ ...good, shape: [1, 2] }, undefined, [2, 1])).toThrow('params.w: shape [1,2] is not the expected [2,1]');
    expect(bad({ ...good, shape: [3] }, undefined, [null])).toThrow('params.w: shape [3] needs 12 bytes of f32 but data has 8');
    expect(bad({ ...good, data: [0, 0] })).toThrow('params.w: data must be bytes');
    expect(checkPackedArray(good, 'params.w', ['f32'], [null])).toBe(good); // a good record passes unchanged (no copy)
  });
});
