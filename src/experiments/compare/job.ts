/**
 * One compare job (a training run or a probe), run in the current process. worker.ts calls it inside a
 * child process; tests may call it directly. Progress (steps done) goes to `onProgress`.
 */
import { initBackend } from '../../runtime/backend.js';
import { runProbe } from '../../run/probe/probe.js';
import { saveTrace } from '../../schedule/files.js';
import { runTraining } from '../../run/train/run.js';
import type { ChildJob, ChildReply } from './run-child.js';

export async function handleJob(job: ChildJob, onProgress?: (done: number) => void): Promise<ChildReply> {
  const { name } = await initBackend({ prefer: job.backend as 'wasm' | 'cpu' | 'tensorflow' | undefined });
  if (job.kind === 'train') {
    const curve: [number, number][] = [];
    const evalCurve: [number, number, number][] = [];
    const summary = await runTraining(
      { ...job.options, backend: name },
      {
        onStep: (r) => {
          curve.push([r.step + 1, r.loss]);
          if (r.eval?.heldoutLoss !== undefined) evalCurve.push([r.step + 1, r.eval.heldoutLoss, r.eval.oodLoss ?? NaN]);
          onProgress?.(r.step + 1);
        },
      },
    );
    return { kind: 'train', summary, curve, evalCurve };
  }
  // A probe job without a magnitude is full Adam: compare's own default (--magnitudes adam), and what the jobs
  // cached before extract's default became factored-adam-bf16 meant, so their cache keys still hold.
  const probe = await runProbe({ magnitude: 'adam', ...job.options, backend: name }, { onStep: (r) => onProgress?.(r.step + 1) });
  saveTrace(job.tracePath, probe.trace);
  return {
    kind: 'probe',
    tracePath: job.tracePath,
    wallSeconds: probe.wallSeconds,
    peakRssBytes: probe.peakRssBytes,
    steps: probe.steps,
    msPerStepMedian: probe.msPerStepMedian,
    tokensPerSecond: probe.tokensPerSecond,
  };
}
