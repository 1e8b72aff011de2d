/**
 * The one place where graftlr writes files: atomically, so that a crash mid-write never leaves a
 * partial file under the target name.
 *
 *   1. write the bytes to a temporary file in the same directory (same filesystem, so rename is atomic)
 *   2. fsync the temporary file (its bytes reach the disk before its name does)
 *   3. rename it over the target (readers see the old file or the new one, never a mix)
 *   4. fsync the directory (the rename itself survives a power loss)
 *
 * If any step fails, the temporary file is removed and an existing target is left untouched.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** The file-system calls writeFileAtomic uses; tests pass a stand-in that fails at a chosen step. */
export interface AtomicFs {
  mkdirSync: typeof nodeFs.mkdirSync;
  openSync: typeof nodeFs.openSync;
  writeSync: (fd: number, data: Uint8Array, offset: number, length: number) => number;
  fsyncSync: typeof nodeFs.fsyncSync;
  closeSync: typeof nodeFs.closeSync;
  renameSync: typeof nodeFs.renameSync;
  rmSync: typeof nodeFs.rmSync;
}

const realFs: AtomicFs = {
  mkdirSync: nodeFs.mkdirSync,
  openSync: nodeFs.openSync,
  writeSync: (fd, data, offset, length) => nodeFs.writeSync(fd, data, offset, length),
  fsyncSync: nodeFs.fsyncSync,
  closeSync: nodeFs.closeSync,
  renameSync: nodeFs.renameSync,
  rmSync: nodeFs.rmSync,
};

/**
 * Writes `data` to `target` atomically (temp file + fsync + rename + directory fsync), creating
 * parent directories. Strings are written as UTF-8; an iterable of chunks is written chunk by chunk as
 * it yields them, so a large file (a checkpoint) never has to exist whole in memory. Synchronous; throws
 * on failure, after removing its temporary file (a full disk says so and that the old file is intact).
 */
export function writeFileAtomic(target: string, data: Uint8Array | string | Iterable<Uint8Array>, fs: AtomicFs = realFs): void {
  const chunks: Iterable<Uint8Array> =
    typeof data === 'string' ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
  const dir = path.dirname(path.resolve(target));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644); // 'wx': fail rather than reuse an existing file
    for (const bytes of chunks) {
      let written = 0;
      while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing; keep the first error */
      }
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* best effort */
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new Error(
        `no space left on the device while writing ${target}: the file that was there before is intact; free some space and retry`,
      );
    }
    throw err;
  }
  syncDirectory(dir, fs);
}

/** fsync a directory so a rename inside it is durable. Some platforms (Windows) refuse; that is not an error. */
export function syncDirectory(dir: string, fs: Pick<AtomicFs, 'openSync' | 'fsyncSync' | 'closeSync'> = realFs): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Directory fsync is unsupported on some platforms/filesystems; the file itself is already synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** True if a process with this id runs (or exists but is not ours to signal: EPERM). */
export function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Reads a whole file, failing with a one-line message that names `what` (e.g. "schedule artifact")
 * and the path, and says what to do.
 */
export function readFileChecked(file: string, what: string): Uint8Array {
  try {
    return nodeFs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${what} not found: ${file}: check the path`);
    if (code === 'EISDIR') throw new Error(`${what} path is a directory, not a file: ${file}: give the file inside it`);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new Error(`cannot read ${what} ${file}: permission denied: check the file's permissions`);
    }
    throw new Error(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}
