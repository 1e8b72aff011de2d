import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, readFileChecked, type AtomicFs } from '../../src/formats/atomic.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-atomic-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A real file system whose chosen call throws (a simulated crash at that step). */
function failingAt(step: 'write' | 'rename' | 'fsync'): AtomicFs {
  return {
    mkdirSync: fs.mkdirSync,
    openSync: fs.openSync,
    writeSync: (fd, data, offset, length) => {
      if (step === 'write') {
        // Write half of the bytes, then "crash": the worst case for a non-atomic writer.
        fs.writeSync(fd, data, offset, Math.floor(length / 2));
        throw new Error('simulated crash during write');
      }
      return fs.writeSync(fd, data, offset, length);
    },
    fsyncSync: (fd) => {
      if (step === 'fsync') throw new Error('simulated fsync failure');
      fs.fsyncSync(fd);
    },
    closeSync: fs.closeSync,
    renameSync: (a, b) => {
      if (step === 'rename') throw new Error('simulated crash before rename');
      fs.renameSync(a, b);
    },
    rmSync: fs.rmSync,
  };
}

describe('writeFileAtomic', () => {
  it('on a full disk names the file, says the old one is intact, and keeps it', () => {
    const target = path.join(dir, 'checkpoint.msgpack');
    writeFileAtomic(target, 'old');
    const full: AtomicFs = {
      ...failingAt('rename'),
      writeSync: () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    expect(() => writeFileAtomic(target, [new Uint8Array(8), new Uint8Array(8)], full)).toThrow(
      `no space left on the device while writing ${target}: the file that was there before is intact; free some space and retry`,
    );
    expect(fs.readFileSync(target, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['checkpoint.msgpack']);
  });

  it('writes an iterable of chunks in order', () => {
    const target = path.join(dir, 'chunks.bin');
    writeFileAtomic(
      target,
      (function* () {
        yield Uint8Array.of(1, 2);
        yield Uint8Array.of();
        yield Uint8Array.of(3);
      })(),
    );
    expect([...fs.readFileSync(target)]).toEqual([1, 2, 3]);
  });

  it('writes bytes and strings, creating parent directories', () => {
    const target = path.join(dir, 'a', 'b', 'out.bin');
    writeFileAtomic(target, new Uint8Array([1, 2, 3, 250]));
    expect([...fs.readFileSync(target)]).toEqual([1, 2, 3, 250]);
    writeFileAtomic(target, 'héllo'); // UTF-8: h, c3 a9, l, l, o = 6 bytes
    expect(fs.readFileSync(target).length).toBe(6);
    expect(fs.readFileSync(target, 'utf8')).toBe('héllo');
    expect(fs.readdirSync(path.dirname(target))).toEqual(['out.bin']); // no temp file left behind
  });

  for (const step of ['write', 'fsync', 'rename'] as const) {
    it(`a crash at ${step} leaves the existing target intact and no temp file`, () => {
      const target = path.join(dir, 'artifact.graft');
      fs.writeFileSync(target, 'old contents');
      const big = new Uint8Array(100_000).fill(7);
      expect(() => writeFileAtomic(target, big, failingAt(step))).toThrow(/simulated/);
      expect(fs.readFileSync(target, 'utf8')).toBe('old contents');
      expect(fs.readdirSync(dir)).toEqual(['artifact.graft']);
    });

    it(`a crash at ${step} with no previous target leaves no file under the target name`, () => {
      const target = path.join(dir, 'new.graft');
      expect(() => writeFileAtomic(target, 'x'.repeat(5000), failingAt(step))).toThrow(/simulated/);
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  }
});

describe('readFileChecked', () => {
  it('reads a file', () => {
    const f = path.join(dir, 'x.bin');
    fs.writeFileSync(f, Buffer.from([5, 6]));
    expect([...readFileChecked(f, 'trace')]).toEqual([5, 6]);
  });

  it('names what is missing and where', () => {
    const f = path.join(dir, 'missing.graft');
    expect(() => readFileChecked(f, 'schedule artifact')).toThrow(`schedule artifact not found: ${f}: check the path`);
  });

  it('says when the path is a directory', () => {
    expect(() => readFileChecked(dir, 'schedule artifact')).toThrow(/is a directory/);
  });
});
