/**
 * A progress line on stderr for long work: step, rate, ETA and caller-provided fields.
 * Redraws in place on a TTY; elsewhere prints a line every `everySeconds`.
 * It writes through the command's `err` (CommandIo, which the tests capture) and reads an injectable clock;
 * cli-progress writes to a stream on its own timer, so it would need a fake stream and timers to do the same.
 */

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  finish(fields?: Record<string, string | number>): void;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatField(v: string | number): string {
  if (typeof v === 'string') return v;
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2);
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

export function progress(
  label: string,
  total: number,
  write: (text: string) => void,
  opts: { isTTY?: boolean; everySeconds?: number; now?: () => number } = {},
): Progress {
  const now = opts.now ?? (() => performance.now() / 1000);
  const start = now();
  const every = opts.everySeconds ?? 10;
  let lastPrint = -Infinity;
  const line = (done: number, fields: Record<string, string | number>): string => {
    const elapsed = now() - start;
    const rate = done > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const width = 20;
    const filled = Math.round((width * Math.min(done, total)) / Math.max(total, 1));
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k} ${formatField(v)}`)
      .join('  ');
    return `${label} [${bar}] ${done}/${total}  ${rate.toFixed(2)} it/s  eta ${formatSeconds(eta)}  ${extra}`.trimEnd();
  };
  return {
    update(done, fields = {}) {
      const t = now();
      if (opts.isTTY) write(`\r${line(done, fields)}\x1b[K`);
      else if (t - lastPrint >= every && done < total) {
        // the last line is finish()'s
        lastPrint = t;
        write(line(done, fields) + '\n');
      }
    },
    finish(fields = {}) {
      const text = `${line(total, fields)}  (${formatSeconds(now() - start)})`;
      write(opts.isTTY ? `\r${text}\x1b[K\n` : text + '\n');
    },
  };
}
