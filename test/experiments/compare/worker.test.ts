/**
 * A compare worker whose parent goes away mid-run (the comparison killed or stopped) exits with one line
 * on stderr, not with an unhandled EPIPE on its next progress message.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildJob } from '../../../src/experiments/compare/run-child.js';
import { writeTinyCorpus } from '../../run/train/tiny.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-worker-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('compare worker', () => {
  it('stops with one line when its parent disconnects mid-run', async () => {
    const job: ChildJob = {
      kind: 'train',
      backend: 'cpu',
      options: {
        corpus: [writeTinyCorpus(tmp)],
        cacheDir: path.join(tmp, 'cache'),
        vocabSize: 64,
        seqLen: 16,
        batchSize: 4,
        seed: 0,
        evalSequences: 4,
        steps: 1_000_000,
        evalEvery: 0,
        checkpointEvery: 0,
        optimizer: 'sgd',
        lr: 0.1,
        engine: 'ort',
        configOverrides: { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 16 },
        outDir: path.join(tmp, 'run'),
      },
    };
    const worker = new URL('../../../src/experiments/compare/worker.ts', import.meta.url).pathname;
    const child = fork(worker, [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let progress = 0;
    child.on('message', (m: { progress?: number }) => {
      if (m.progress !== undefined && ++progress === 3) child.disconnect(); // mid-run, as a killed parent
    });
    child.send(job);
    expect(await exited).toBe(3);
    expect(progress).toBeGreaterThanOrEqual(3);
    expect(stderr).toBe('compare worker: the comparison that started this run has stopped; stopping the run\n');
  }, 60_000);
});
