/**
 * Writing several files that belong together (`graftlr export`: model.onnx and a Hugging Face folder) so
 * that a killed process does not leave some at the new version and some at the old one.
 *
 *   1. every file's bytes go to a temporary next to its target (same directory), each fsynced;
 *   2. only then are the temporaries renamed over their targets, one after the other, and the
 *      directories fsynced.
 *
 * A kill during step 1 (serialising and writing, the long part) leaves every target as it was. Only a kill
 * between the renames of step 2, a few system calls, could mix versions. Temporaries are named as
 * writeFileAtomic names them (`.<name>.<pid>.<random>.tmp`); those of processes that no longer run are
 * removed by removeStaleTemporaries, which the writer calls first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { processIsRunning, syncDirectory } from './atomic.js';

/** The file-system calls used here; tests pass a stand-in that fails at a chosen call. */
export interface FileSetFs {
  /** Creates `file` (failing if it exists), writes `data` and fsyncs it. */
  writeNewFileSynced: (file: string, data: Uint8Array) => void;
  renameSync: typeof fs.renameSync;
  rmSync: typeof fs.rmSync;
}

function writeNewFileSynced(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, 'wx', 0o644); // 'wx': never reuse an existing file
  try {
    let written = 0;
    while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const realFs: FileSetFs = { writeNewFileSynced, renameSync: fs.renameSync, rmSync: fs.rmSync };

/**
 * Removes the temporaries of `target` (`.<name>.<pid>.<hex>.tmp` in its directory) left by processes that
 * no longer run: a killed export or atomic write. Those of running processes (a concurrent writer) stay.
 * Returns the paths removed.
 */
export function removeStaleTemporaries(target: string): string[] {
  const dir = path.dirname(path.resolve(target));
  const pattern = new RegExp(`^\\.${escapeRegExp(path.basename(target))}\\.(\\d+)\\.[0-9a-f]+\\.tmp$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return []; // no directory yet: nothing left behind
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (m && Number(m[1]) !== process.pid && !processIsRunning(Number(m[1]))) {
      fs.rmSync(path.join(dir, name), { force: true });
      removed.push(path.join(dir, name));
    }
  }
  return removed;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Writes every `files[path] = bytes` as described in the module comment, creating directories. On an
 * error before the renames, removes its temporaries and leaves every target untouched. Returns the
 * stale temporaries it removed first.
 */
export function writeFilesTogether(files: Record<string, Uint8Array | string>, fsImpl: FileSetFs = realFs): string[] {
  const targets = Object.keys(files);
  const removed = targets.flatMap(removeStaleTemporaries);
  const staged: [string, string][] = [];
  try {
    for (const target of targets) {
      const dir = path.dirname(path.resolve(target));
      fs.mkdirSync(dir, { recursive: true });
      const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      const data = files[target];
      staged.push([tmp, target]);
      fsImpl.writeNewFileSynced(tmp, typeof data === 'string' ? new TextEncoder().encode(data) : data);
    }
  } catch (err) {
    for (const [tmp] of staged) {
      try {
        fsImpl.rmSync(tmp, { force: true });
      } catch {
        /* best effort: the first error is the one to report */
      }
    }
    throw err;
  }
  for (const [tmp, target] of staged) fsImpl.renameSync(tmp, target);
  for (const dir of new Set(targets.map((t) => path.dirname(path.resolve(t))))) syncDirectory(dir);
  return removed;
}
