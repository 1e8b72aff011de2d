/**
 * Runs one training or probe job in a child Node process (the compare worker: src/experiments/compare/worker.ts
 * through tsx when running from the sources, dist/compare/worker.js from the built package) and returns
 * its reply. Progress messages are forwarded to `onProgress`.
 */
import { fork } from 'node:child_process';
import { COMPARE_WORKER, entryCommand } from '../../core/package-files.js';
import type { ProbeOptions } from '../../run/probe/probe.js';
import type { TrainSummary } from '../../run/train/run.js';
import type { TrainOptions } from '../../run/train/train-options.js';

export type ChildJob =
  | { kind: 'train'; backend?: string; options: Partial<TrainOptions> }
  | { kind: 'probe'; backend?: string; options: Partial<ProbeOptions>; tracePath: string };

export type ChildReply =
  | { kind: 'train'; summary: TrainSummary; curve: [number, number][]; evalCurve: [number, number, number][] }
  | {
      kind: 'probe';
      tracePath: string;
      wallSeconds: number;
      peakRssBytes: number;
      steps: number;
      msPerStepMedian: number;
      tokensPerSecond: number;
    };

/**
 * The run's process was killed by a signal (Ctrl-C, kill, the out-of-memory killer): not a result of the
 * setting, so a comparison stops here instead of recording a failed run and moving on (and emptying the
 * next run's folder).
 */
export class ChildStoppedError extends Error {
  constructor(readonly signal: string) {
    super(`run process was stopped by ${signal}`);
  }
}

/**
 * The run reported its own failure (a diverged setting, options it refused): a result of the job, the same
 * every time it runs, so a comparison records it (and `--reuse` reads it back instead of rerunning it).
 */
export class RunFailedError extends Error {}

/** Runs `job` in its own process; with `timeoutMs`, kills it then and rejects with ChildStoppedError('a timeout of N s'). */
export function runInChild(job: ChildJob, onProgress?: (done: number) => void, timeoutMs?: number): Promise<ChildReply> {
  return new Promise((resolve, reject) => {
    const worker = entryCommand(COMPARE_WORKER);
    const child = fork(worker.file, [], {
      execArgv: worker.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (settled) return;
            settled = true;
            child.kill('SIGKILL');
            reject(new ChildStoppedError(`a timeout of ${Math.round(timeoutMs / 1000)} s`));
          }, timeoutMs);
    child.on('exit', () => clearTimeout(timer));
    child.on('message', (m: { progress?: number; reply?: ChildReply; error?: string }) => {
      if (m.progress !== undefined) onProgress?.(m.progress);
      if (m.reply) {
        settled = true;
        resolve(m.reply);
      }
      if (m.error) {
        settled = true;
        reject(new RunFailedError(m.error));
      }
    });
    child.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      reject(signal ? new ChildStoppedError(signal) : new Error(`run process exited with code ${code} before reporting`));
    });
    child.send(job);
  });
}
