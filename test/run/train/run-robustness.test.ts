/**
 * A run folder under misuse: two runs at once, resuming a finished run, and a divergence followed by a resume
 * at a lower learning rate (the advice the stop message gives).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/run/train/checkpoint.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { LOCK_FILE } from '../../../src/run/train/run-lock.js';
import { runTraining } from '../../../src/run/train/run.js';
import { stopRequest } from '../../../src/run/train/stop.js';
import { tinySetup } from './tiny.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-robust-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let base: Partial<RunOptions>;
beforeAll(async () => {
  ({ base } = await tinySetup());
});
const opts = () => ({ ...base, engine: 'ort' as const, optimizer: 'sgd' as const, lr: 0.1, steps: 12, evalEvery: 0, checkpointEvery: 2 });

describe('run folders', () => {
  it("a folder locked by a live process is refused with its pid; a dead owner's lock is taken over, and released", async () => {
    const out = path.join(tmp, 'locked');
    fs.mkdirSync(out);
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, startedAt: 'then' }));
    await expect(runTraining({ ...opts(), outDir: out })).rejects.toThrow(
      `train: ${out} is in use by process ${sleeper.pid} (since then): wait for it to end, or choose another --out`,
    );
    sleeper.kill('SIGKILL');
    await new Promise((resolve) => sleeper.on('exit', resolve));
    const notices: string[] = [];
    const s = await runTraining({ ...opts(), steps: 2, outDir: out }, { onNotice: (m) => notices.push(m) });
    expect(s.step).toBe(2);
    expect(notices).toEqual([`train: took over the lock of ${out} from process ${sleeper.pid}, which no longer runs`]);
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('two runs on one folder at once: the second is refused while the first runs', async () => {
    const out = path.join(tmp, 'twice');
    let second: Promise<unknown> | undefined;
    await runTraining(
      { ...opts(), steps: 3, outDir: out },
      {
        onStep: (r) => {
          if (r.step === 0) second = runTraining({ ...opts(), seed: 9, outDir: out, resume: true }).catch((e: Error) => e);
        },
      },
    );
    expect(((await second) as Error).message).toBe(
      `train: ${out} is in use by another run of this process: wait for it to end, or choose another --out`,
    );
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  }, 60_000);

  it('resuming a finished run reports its stored summary unchanged', async () => {
    const out = path.join(tmp, 'finished');
    await runTraining({ ...opts(), steps: 4, outDir: out });
    const before = fs.readFileSync(path.join(out, 'summary.json'), 'utf8');
    const again = await runTraining({ ...opts(), steps: 4, outDir: out, resume: true });
    expect(again.nothingToDo).toBe(true);
    expect(again.trainLoss).toBe(JSON.parse(before).trainLoss);
    expect(Number.isFinite(again.trainLoss)).toBe(true);
    expect(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).toBe(before);
  }, 60_000);

  it('after a divergence the last checkpoint holds sane weights, and a resume at a lower lr finishes; the changes are recorded', async () => {
    const out = path.join(tmp, 'diverged');
    const stop = stopRequest();
    await runTraining(
      { ...opts(), outDir: out },
      {
        onStep: (r) => {
          if (r.step === 3) stop.requestStop();
        },
        shouldStop: stop.shouldStop,
      },
    );
    expect(loadCheckpoint(out).step).toBe(4);
    // lr 1e6: the weights blow up at once; the checkpoints they would have made are skipped.
    const notices: string[] = [];
    await expect(runTraining({ ...opts(), lr: 1e6, outDir: out, resume: true }, { onNotice: (m) => notices.push(m) })).rejects.toThrow(
      /non-finite|the loss is/,
    );
    expect(notices[0]).toBe("train: resuming at step 4 with peakLr 1000000 (was 0.1); recorded in the run's history");
    const kept = loadCheckpoint(out);
    const maxAbs = Math.max(...Object.values(kept.params).map((p) => p.data.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));
    expect(maxAbs).toBeLessThan(1e4);
    const done = await runTraining({ ...opts(), lr: 0.05, outDir: out, resume: true });
    expect(done.step).toBe(12);
    expect(Number.isFinite(done.lastLoss)).toBe(true);
    // The 1e6 attempt left no checkpoint, so the history holds the change from the kept one (step 4, lr 0.1).
    expect(kept.step).toBe(4);
    expect(done.history).toEqual([{ step: 4, setting: 'peakLr', from: 0.1, to: 0.05 }]);
    expect(loadCheckpoint(out).run.history).toEqual(done.history);
  }, 60_000);
});
