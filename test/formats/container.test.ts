/**
 * The one container (src/formats/container.ts) and the files written through it: both checksum placements round-trip,
 * a corrupted checksum, a flipped byte, a truncated file, another magic and a newer version each give one clear
 * line, and files written before the shared codec (the shipped artifacts, test/fixtures/*) still read and
 * re-encode to the same bytes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Packr, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { packArray, unpackArray } from '../../src/formats/array-codec.js';
import { checksumOf } from '../../src/formats/canonical.js';
import { containerChunks, decodeContainer, encodeContainer, type ContainerSpec } from '../../src/formats/container.js';
import { decodeArtifact, encodeArtifact } from '../../src/schedule/artifact.js';
import { decodeTrace, encodeTrace } from '../../src/schedule/trace-file.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/run/train/checkpoint.js';

const root = path.join(import.meta.dirname, '..', '..');
const spec = (checksumOver: ContainerSpec['checksumOver']): ContainerSpec => ({
  format: 'graftlr.test',
  version: 2,
  what: 'test file',
  remedy: 'write it again',
  checksumOver,
});
const big = Float32Array.from({ length: 2048 }, (_, i) => i / 7); // 8 KiB: streamed as a view
const content = () => ({ name: 'x', step: 3, nested: { list: [1, -2.5, null, true] }, w: packArray(big, [32, 64]) });
const bytesOf = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks]);

describe('container', () => {
  for (const over of ['fields', 'payload'] as const) {
    it(`round-trips its content with the checksum over the ${over}`, () => {
      const c = content();
      const bytes = bytesOf(containerChunks(spec(over), c));
      const { version, body, checksum } = decodeContainer(bytes, spec(over));
      expect(version).toBe(2);
      const { w, ...rest } = body;
      const { w: _w, ...restWritten } = c;
      expect(rest).toEqual(over === 'fields' ? { format: 'graftlr.test', version: 2, ...restWritten } : restWritten);
      expect(unpackArray(w, 'w', ['f32'], [32, 64])).toEqual(big);
      const fields = over === 'fields' ? { format: 'graftlr.test', version: 2, ...c } : c;
      expect(checksum).toBe(over === 'fields' ? checksumOf(fields) : createHash('sha256').update(unpack(bytes).payload).digest('hex'));
    });

    it(`refuses a flipped data byte, an edited checksum and a truncated file (checksum over the ${over})`, () => {
      const bytes = bytesOf(containerChunks(spec(over), content()));
      const flipped = Buffer.from(bytes);
      flipped[bytes.indexOf(Buffer.from(big.buffer, 0, 64)) + 5] ^= 0x10; // inside w's data
      expect(() => decodeContainer(flipped, spec(over))).toThrow(
        /^test file checksum mismatch \(stored [0-9a-f]{12}, computed [0-9a-f]{12}\): the file is corrupted; write it again$/,
      );
      const raw = unpack(bytes) as Record<string, unknown>;
      const edited = new Packr({ useRecords: false }).pack({
        ...raw,
        checksum: (raw.checksum as string).replace(/[0-9a-f]$/, (d) => (d === '0' ? '1' : '0')),
      });
      expect(() => decodeContainer(edited, spec(over))).toThrow(/^test file checksum mismatch/);
      expect(() => decodeContainer(bytes.subarray(0, bytes.length - 30), spec(over))).toThrow(
        /^test file is not readable msgpack \(truncated or corrupted: Unexpected end of MessagePack data\): write it again$/,
      );
      expect(() => decodeContainer(new Uint8Array(0), spec(over))).toThrow(/^test file is not readable msgpack/);
    });
  }

  it('checks magic, then version, then checksum, each in one line', () => {
    const body = { format: 'graftlr.test', version: 2, a: 1 };
    expect(() => decodeContainer(encodeContainer({ ...body, format: 'graftlr.other' }), spec('fields'))).toThrow(
      'not a test file: expected format "graftlr.test" but its format is "graftlr.other": pass a file written by graftlr',
    );
    expect(() => decodeContainer(new Packr({ useRecords: false }).pack([1, 2]), spec('fields'))).toThrow(
      'not a test file: expected format "graftlr.test" but it has no format field',
    );
    expect(() => decodeContainer(encodeContainer({ ...body, version: 3 }), spec('fields'))).toThrow(
      'test file version 3 was made by a newer graftlr (this one reads version 2): upgrade graftlr',
    );
    expect(() => decodeContainer(encodeContainer({ ...body, version: 0 }), spec('fields'))).toThrow(
      'test file has an invalid version 0: the file is corrupted; write it again',
    );
    expect(decodeContainer(encodeContainer({ ...body, version: 1 }), spec('fields')).version).toBe(1); // older versions read
    expect(() => decodeContainer(new Packr({ useRecords: false }).pack(body), spec('fields'))).toThrow(
      'test file has no checksum: the file is corrupted; write it again',
    );
    expect(() => decodeContainer(new Packr({ useRecords: false }).pack({ ...body, checksum: 'x' }), spec('payload'))).toThrow(
      'test file has no payload bytes: the file is corrupted; write it again',
    );
  });

  it('writes the payload placement as {format, version, payload, checksum} with sha256(payload) in hex', () => {
    const bytes = bytesOf(containerChunks(spec('payload'), { a: 1 }));
    const raw = unpack(bytes) as Record<string, unknown>;
    expect(Object.keys(raw)).toEqual(['format', 'version', 'payload', 'checksum']);
    expect(unpack(raw.payload as Uint8Array)).toEqual({ a: 1 });
    expect(raw.checksum).toBe(
      createHash('sha256')
        .update(raw.payload as Uint8Array)
        .digest('hex'),
    );
  });
});

// test/fixtures/trace-v3.trace and checkpoint-v1.msgpack were written by graftlr at commit 0e702a5, the last
// one with separate schedule and checkpoint codecs (schedule-v1.graft is older still).
describe('files written before the shared codec', () => {
  const read = (...p: string[]) => fs.readFileSync(path.join(root, ...p));

  it('the shipped schedules and the version-1 fixture decode and re-encode to the same bytes', () => {
    const files = [
      ...fs
        .readdirSync(path.join(root, 'artifacts'))
        .filter((f) => f.endsWith('.graft'))
        .map((f) => ['artifacts', f]),
      ['test', 'fixtures', 'schedule-v1.graft'],
    ];
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const bytes = read(...f);
      expect(Buffer.from(encodeArtifact(decodeArtifact(bytes))).equals(bytes), f.join('/')).toBe(true);
    }
  });

  it('a version-3 trace (test/fixtures/trace-v3.trace) decodes and re-encodes to the same fields', () => {
    const bytes = read('test', 'fixtures', 'trace-v3.trace');
    const t = decodeTrace(bytes);
    expect(t.steps.length).toBe(8);
    expect(t.stability?.limit[0]).toBe(Infinity);
    // encodeTrace stamps the running tool's name and version (and so the checksum): every other field is the same.
    const { checksum: _a, tool: _b, ...again } = unpack(Buffer.from(encodeTrace(t))) as Record<string, unknown>;
    const { checksum: _c, tool: _d, ...stored } = unpack(bytes) as Record<string, unknown>;
    expect(Object.keys(again)).toEqual(Object.keys(stored));
    expect(again).toEqual(stored);
  });

  it('a checkpoint (test/fixtures/checkpoint-v1.msgpack) decodes and re-encodes to the same bytes', () => {
    const bytes = read('test', 'fixtures', 'checkpoint-v1.msgpack');
    const c = decodeCheckpoint(bytes);
    expect(c.step).toBe(3);
    expect(c.params.big.shape).toEqual([32, 40]);
    expect(c.params.big.data[1]).toBe(Math.fround(Math.sin(1) / 2));
    expect(Buffer.from(encodeCheckpoint(c)).equals(bytes)).toBe(true);
  });
});
