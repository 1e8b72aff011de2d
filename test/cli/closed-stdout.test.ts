/**
 * A reader that goes away closes our stdout (`graftlr export-schedule a.graft | head -c 10`). The next
 * write failed with EPIPE and Node printed 18 lines of "Error: write EPIPE" (issue 23, item 8). Every
 * command now ends quietly with exit status 0 (src/cli/main.ts, endQuietlyWhenOutputCloses).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from './child.js';

const TINY = path.join(import.meta.dirname, '..', '..', 'artifacts', 'tiny.graft');

/** Runs the CLI with its stdout read end closed before it writes; resolves with exit code, signal and stderr. */
function withClosedStdout(argv: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GRAFTLR_BACKEND: 'cpu' },
    });
    child.stdout.destroy(); // like `| head -c 0`: nobody reads; the child's first write gets EPIPE
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('closed stdout', () => {
  it('export-schedule --format json ends with exit 0 and nothing on stderr', async () => {
    const r = await withClosedStdout(['export-schedule', TINY, '--format', 'json']);
    expect(r).toEqual({ code: 0, signal: null, stderr: '' });
  }, 30_000);

  it('inspect (another command, the same handler) ends the same way', async () => {
    const r = await withClosedStdout(['inspect', TINY]);
    expect(r).toEqual({ code: 0, signal: null, stderr: '' });
  }, 30_000);
});
