/**
 * The metrics log of a run: one JSON object per line (runs/<name>/metrics.jsonl), appended and handed to
 * the operating system record by record (no buffering), so a killed process keeps every finished step.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../formats/atomic.js';

export interface MetricsLog {
  /** Appends one record as a JSON line (written through at once). */
  append(record: object): void;
  close(): void;
}

export interface MetricsLogOptions {
  /**
   * Resuming at this step: records whose `step` is >= it (written by a run that went on past its last
   * checkpoint and was then killed) are dropped first, so the log matches the resumed run.
   * Without it, an existing file is replaced by an empty one.
   */
  resumeFrom?: number;
}

/** JSON with non-finite numbers as null (JSON has no NaN/Infinity). */
function toLine(record: object): string {
  return JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n';
}

/** Opens (creating folders) the metrics log at `file`; see MetricsLogOptions for what happens to old lines. */
export function openMetricsLog(file: string, options: MetricsLogOptions = {}): MetricsLog {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let kept = '';
  if (options.resumeFrom !== undefined && fs.existsSync(file)) {
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const before = lines.filter((line) => {
      try {
        const step = (JSON.parse(line) as { step?: unknown }).step;
        return typeof step !== 'number' || step < options.resumeFrom!;
      } catch {
        return false; // a line cut short by a kill
      }
    });
    kept = before.map((l) => l + '\n').join('');
  }
  writeFileAtomic(file, kept);
  let fd: number | undefined = fs.openSync(file, 'a');
  return {
    append(record) {
      if (fd === undefined) throw new Error(`metrics log ${file} is closed`);
      fs.writeSync(fd, toLine(record));
    },
    close() {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}
