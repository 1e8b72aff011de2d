import { describe, expect, it } from 'vitest';
import { readSafetensors, toFloat32, writeSafetensors } from '../../src/formats/safetensors.js';

/** Independent parse of the layout, straight from the format description (no code shared with the writer). */
function parseByHand(bytes: Uint8Array): {
  n: number;
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  data: Uint8Array;
} {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true)); // u64 little-endian header length
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  return { n, header, data: bytes.subarray(8 + n) };
}

describe('writeSafetensors', () => {
  const bytes = writeSafetensors(
    {
      weight: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 0.5, 3]) },
      alpha: { dtype: 'I64', shape: [3], data: new BigInt64Array([1n, -2n, 3n]) },
    },
    { format: 'pt' },
  );

  it('writes the header length, a JSON header padded to 8-byte alignment, sorted tensors end to end', () => {
    const { n, header, data } = parseByHand(bytes);
    expect((8 + n) % 8).toBe(0); // data buffer aligned to 8
    expect(header.__metadata__).toEqual({ format: 'pt' });
    // sorted by name: alpha (3 x 8 bytes = 24) first, then weight (4 x 4 bytes = 16)
    expect(header.alpha).toEqual({ dtype: 'I64', shape: [3], data_offsets: [0, 24] });
    expect(header.weight).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [24, 40] });
    expect(bytes.length).toBe(8 + n + 40);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    expect([0, 8, 16].map((o) => dv.getBigInt64(o, true))).toEqual([1n, -2n, 3n]);
    expect([24, 28, 32, 36].map((o) => dv.getFloat32(o, true))).toEqual([1, -2, 0.5, 3]);
    // padding is spaces after the closing brace
    const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    expect(text.trimEnd().endsWith('}')).toBe(true);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
  });

  it('reads back what it wrote', () => {
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Array.from(tensors.weight.data as Float32Array)).toEqual([1, -2, 0.5, 3]);
    expect(Array.from(tensors.alpha.data as BigInt64Array)).toEqual([1n, -2n, 3n]);
    expect(tensors.weight.shape).toEqual([2, 2]);
  });

  it('rejects a data length that does not match the shape', () => {
    expect(() => writeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(
      /"x" has 2 values but shape \[3\]/,
    );
  });
});

describe('readSafetensors', () => {
  /** A file from a hand-written header and data buffer. */
  function file(header: object, data: number[]): Uint8Array {
    const json = Buffer.from(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
  }

  it('converts F16 and BF16 to float32', () => {
    // F16: 0x3C00 = 1, 0xC000 = -2, 0x3555 = (1 + 341/1024) / 4 = 0.333251953125, 0x0001 = 2^-24 (subnormal)
    // BF16 is the top 16 bits of a float32: 0x3F80 = 1.0, 0xC040 = -3.0 (little-endian bytes below)
    const bytes = file(
      {
        h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
      },
      [0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35, 0x01, 0x00, 0x80, 0x3f, 0x40, 0xc0],
    );
    const { tensors } = readSafetensors(bytes);
    expect(Array.from(toFloat32(tensors.h, 'h'))).toEqual([1, -2, 0.333251953125, 2 ** -24]);
    expect(Array.from(toFloat32(tensors.b, 'b'))).toEqual([1, -3]);
  });

  it('rejects truncated files, holes, size mismatches and unknown dtypes with one-line errors', () => {
    const good = writeSafetensors({ x: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(good.subarray(0, 5), 'm.st')).toThrow(/^m\.st is not a valid safetensors file: only 5 bytes/);
    expect(() => readSafetensors(good.subarray(0, 20), 'm.st')).toThrow(/header length \d+ does not fit.*truncated/);
    expect(() => readSafetensors(good.subarray(0, good.length - 4), 'm.st')).toThrow(
      /ends at 16 but the data holds 12 bytes \(truncated\?\)/,
    );
    const hole = file({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => readSafetensors(hole)).toThrow(/starts at 4, expected 0/);
    const size = file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, [0, 0, 0, 0]);
    expect(() => readSafetensors(size)).toThrow(/spans 4 bytes but F32\[2\] needs 8/);
    const dtype = file({ x: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, [0]);
    expect(() => readSafetensors(dtype)).toThrow(/unknown dtype "Q4"/);
    const notJson = file({}, []);
    notJson[8] = 0x41; // 'A' where '{' should be
    expect(() => readSafetensors(notJson)).toThrow(/header is not JSON/);
  });

  it('names the file and the entry for a header entry that is null, a number or an array (issue 23, item 10)', () => {
    const x = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    // was: Cannot read properties of null (reading 'data_offsets')
    expect(() => readSafetensors(file({ x, y: null }, [0, 0, 0, 0]), 'model.safetensors')).toThrow(
      /^model\.safetensors is not a valid safetensors file: header entry "y" is null, not an object \{dtype, shape, data_offsets\}$/,
    );
    expect(() => readSafetensors(file({ y: 7 }, []), 'm.st')).toThrow('header entry "y" is 7, not an object');
    expect(() => readSafetensors(file({ y: [1] }, []), 'm.st')).toThrow('header entry "y" is [1], not an object');
    expect(() => readSafetensors(file({ y: { ...x, dtype: 'constructor' } }, [0, 0, 0, 0]))).toThrow(
      'tensor "y" has unknown dtype "constructor"',
    );
    expect(() => readSafetensors(file({ y: { ...x, data_offsets: ['0', 4] } }, [0, 0, 0, 0]))).toThrow('tensor "y" has bad data_offsets');
    expect(() => readSafetensors(file({ __metadata__: null, x }, [0, 0, 0, 0]))).toThrow(
      'the header entry "__metadata__" is not an object of strings',
    );
    expect(readSafetensors(file({ __metadata__: { format: 'pt' }, x }, [0, 0, 0, 0])).metadata).toEqual({ format: 'pt' });
  });
});
