/**
 * One process per run folder: `train` takes `<out>/.lock` before it reads or writes anything there, so two
 * runs on the same --out cannot delete each other's temporary checkpoints or mix their metrics.
 *
 * The lock file is created with O_EXCL ('wx': exactly one creator wins) and holds the owner's pid and start
 * time. A lock whose process no longer runs (killed, crashed) is taken over, and the caller is told so; a live
 * one refuses with its pid. Released when the run ends, and on process exit as a last resort.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processIsRunning } from '../../formats/atomic.js';

export const LOCK_FILE = '.lock';

interface LockRecord {
  pid: number;
  startedAt: string;
}

/** Run folders whose lock this process holds (a second run in the same process is refused too). */
const heldHere = new Set<string>();

function readLock(file: string): LockRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as LockRecord;
    return Number.isInteger(r.pid) && r.pid > 0 ? r : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

export interface RunLock {
  /** Set when a stale lock of a dead process was taken over: one line saying so. */
  notice?: string;
  release(): void;
}

/**
 * Takes the lock of `dir` (created if missing) for this process; `who` names the command in errors.
 * Throws a one-line error when another live process holds it.
 */
export function acquireRunLock(dir: string, who: string): RunLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const key = fs.realpathSync(dir);
  if (heldHere.has(key))
    throw new Error(`${who}: ${dir} is in use by another run of this process: wait for it to end, or choose another --out`);
  const mine: LockRecord = { pid: process.pid, startedAt: new Date().toISOString() };
  let notice: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine) + '\n', { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
    }
    const held = readLock(file);
    if (held && held.pid !== process.pid && processIsRunning(held.pid)) {
      throw new Error(
        `${who}: ${dir} is in use by process ${held.pid} (since ${held.startedAt}): wait for it to end, or choose another --out`,
      );
    }
    // Stale: move it aside (one mover wins), and put it back if what was moved is a live lock made meanwhile.
    const aside = `${file}.${process.pid}.stale`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue; // another process moved it first: look again
    }
    const moved = readLock(aside);
    if (moved && moved.pid !== held?.pid && processIsRunning(moved.pid)) {
      fs.renameSync(aside, file);
      continue;
    }
    fs.rmSync(aside, { force: true });
    notice = `${who}: took over the lock of ${dir} from process ${held?.pid ?? '(unreadable lock file)'}, which no longer runs`;
  }
  heldHere.add(key);
  const release = (): void => {
    if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
    heldHere.delete(key);
    process.removeListener('exit', release);
  };
  process.on('exit', release);
  return { notice, release };
}
