/**
 * Runs the real CLI entry (bin/graftlr.mjs) in a child process: for behaviour that only a whole process
 * shows (its command line, its stdout pipe, its exit status).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'graftlr.mjs');

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runChild(argv: string[], options: { input?: string; timeoutMs?: number } = {}): ChildResult {
  const r = spawnSync(process.execPath, [BIN, ...argv], {
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    env: { ...process.env, GRAFTLR_BACKEND: 'cpu' },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
