/**
 * Files written together (issue 23, "also seen": a kill during `export --safetensors` left the ONNX file at
 * the new step and the Hugging Face folder at the old one, and temporaries nothing cleaned up).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStaleTemporaries, writeFilesTogether, type FileSetFs } from '../../src/formats/file-set.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-file-set-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Two targets in two folders (like model.onnx and hf/model.safetensors), holding "old 0" and "old 1". */
function pair(name: string): string[] {
  const targets = [path.join(root, name, 'model.onnx'), path.join(root, name, 'hf', 'model.safetensors')];
  targets.forEach((t, i) => {
    fs.mkdirSync(path.dirname(t), { recursive: true });
    fs.writeFileSync(t, `old ${i}`);
  });
  return targets;
}
const read = (files: string[]) => files.map((f) => fs.readFileSync(f, 'utf8'));
const temporaries = (files: string[]) => files.flatMap((f) => fs.readdirSync(path.dirname(f)).filter((n) => n.endsWith('.tmp')));

/** A process id that no longer runs: a child that has exited. */
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;

describe('writeFilesTogether', () => {
  it('replaces every file', () => {
    const targets = pair('ok');
    writeFilesTogether({ [targets[0]]: 'new 0', [targets[1]]: new TextEncoder().encode('new 1') });
    expect(read(targets)).toEqual(['new 0', 'new 1']);
    expect(temporaries(targets)).toEqual([]);
  });

  it('a kill -9 while staging the second file leaves both old files; the next write removes the temporary', () => {
    const targets = pair('killed');
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'file-set-kill-child.ts'), ...targets], {
      encoding: 'utf8',
    });
    expect(child.signal).toBe('SIGKILL');
    expect(read(targets)).toEqual(['old 0', 'old 1']); // before: model.onnx was already new here
    const left = temporaries(targets);
    expect(left).toEqual([expect.stringMatching(/^\.model\.onnx\.\d+\.[0-9a-f]{12}\.tmp$/)]); // the first one, written in full
    const removed = writeFilesTogether({ [targets[0]]: 'new 0', [targets[1]]: 'new 1' });
    expect(removed.map((f) => path.basename(f)).sort()).toEqual([...left].sort());
    expect(read(targets)).toEqual(['new 0', 'new 1']);
    expect(temporaries(targets)).toEqual([]);
  }, 30_000);

  it('an error while staging (disk full) changes no target and removes its temporaries', () => {
    const targets = pair('full');
    let calls = 0;
    const failing: FileSetFs = {
      writeNewFileSynced: (file, data) => {
        if (++calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        fs.writeFileSync(file, data, { flag: 'wx' });
      },
      renameSync: fs.renameSync,
      rmSync: fs.rmSync,
    };
    expect(() => writeFilesTogether({ [targets[0]]: 'new 0', [targets[1]]: 'new 1' }, failing)).toThrow('ENOSPC');
    expect(read(targets)).toEqual(['old 0', 'old 1']);
    expect(temporaries(targets)).toEqual([]);
  });
});

describe('removeStaleTemporaries', () => {
  it('removes the temporaries of processes that no longer run, and keeps those of running ones and other files', () => {
    const dir = path.join(root, 'stale');
    fs.mkdirSync(dir);
    const target = path.join(dir, 'model.onnx');
    const names = [
      `.model.onnx.${deadPid}.0a1b2c.tmp`,
      `.model.onnx.${process.ppid}.0a1b2c.tmp`,
      `.other.onnx.${deadPid}.0a1b2c.tmp`,
      'model.onnx.tmp',
    ];
    for (const n of names) fs.writeFileSync(path.join(dir, n), 'x');
    expect(removeStaleTemporaries(target)).toEqual([path.join(dir, names[0])]);
    expect(fs.readdirSync(dir).sort()).toEqual(names.slice(1).sort());
  });
});
