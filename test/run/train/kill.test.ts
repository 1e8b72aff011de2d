import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../../src/run/train/checkpoint.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { runTraining } from '../../../src/run/train/run.js';
import { tinySetup } from './tiny.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-kill-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let base: Partial<RunOptions>;
beforeAll(async () => {
  ({ base } = await tinySetup());
});

const STEPS = 60;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function paramHex(dir: string): string {
  const { params } = loadCheckpoint(dir);
  return Object.keys(params)
    .sort()
    .map((n) => Buffer.from(params[n].data.buffer, params[n].data.byteOffset, params[n].data.byteLength).toString('hex'))
    .join('|');
}

describe('kill -9 during training', () => {
  it('leaves a loadable checkpoint, and resuming from it matches an uninterrupted run bit for bit', async () => {
    const dir = path.join(tmp, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'kill-child.ts'), dir, String(STEPS)], {
      cwd: path.resolve(import.meta.dirname, '../../..'),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Kill it as soon as the metrics log shows a few finished steps (it checkpoints after each).
    const metrics = path.join(dir, 'metrics.jsonl');
    for (let i = 0; i < 3000; i++) {
      if (child.exitCode !== null) break;
      if (fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').split('\n').length > 4) break;
      await sleep(10);
    }
    child.kill('SIGKILL');
    const signal = await exited;
    expect(signal, stderr).toBe('SIGKILL');

    const killedAt = loadCheckpoint(dir).step; // decodes and verifies the checksum
    expect(killedAt).toBeGreaterThanOrEqual(3);
    expect(killedAt).toBeLessThan(STEPS);
    const resumed = await runTraining({
      ...base,
      optimizer: 'adam',
      steps: STEPS,
      evalEvery: 0,
      checkpointEvery: 1,
      outDir: dir,
      resume: true,
    });
    expect(resumed.resumedFrom).toBe(killedAt);
    expect(fs.readdirSync(path.join(dir, 'checkpoint'))).toEqual([CHECKPOINT_FILE]); // stale temp files removed
    const logged = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
    expect(logged).toEqual(Array.from({ length: STEPS }, (_, i) => i));

    await runTraining({ ...base, optimizer: 'adam', steps: STEPS, evalEvery: 0, checkpointEvery: 0, outDir: path.join(tmp, 'whole') });
    expect(paramHex(dir), `killed at step ${killedAt}`).toBe(paramHex(path.join(tmp, 'whole')));
  });
});
