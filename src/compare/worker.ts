/**
 * One compare run in its own process, so that each method's peak RSS is its own and a crash of one run
 * cannot take the others with it. The parent (run-child.ts) sends one job; the worker answers with one
 * message and exits.
 */
import { initBackend } from '../backend.js';
import { runProbe } from '../probe/probe.js';
import { saveTrace } from '../schedule/files.js';
import { runTraining } from '../train/run.js';
import type { ChildJob, ChildReply } from './run-child.js';

async function handle(job: ChildJob): Promise<ChildReply> {
  const { name } = await initBackend({ prefer: job.backend as 'wasm' | 'cpu' | 'tensorflow' | undefined });
  if (job.kind === 'train') {
    const curve: [number, number][] = [];
    const evalCurve: [number, number, number][] = [];
    const summary = await runTraining({ ...job.options, backend: name }, {
      onStep: (r) => {
        curve.push([r.step + 1, r.loss]);
        if (r.eval?.heldoutLoss !== undefined) evalCurve.push([r.step + 1, r.eval.heldoutLoss, r.eval.oodLoss ?? NaN]);
        process.send?.({ progress: r.step + 1 });
      },
    });
    return { kind: 'train', summary, curve, evalCurve };
  }
  const probe = await runProbe({ ...job.options, backend: name }, {
    onStep: (r) => process.send?.({ progress: r.step + 1 }),
  });
  saveTrace(job.tracePath, probe.trace);
  return {
    kind: 'probe', tracePath: job.tracePath, wallSeconds: probe.wallSeconds, peakRssBytes: probe.peakRssBytes, steps: probe.steps,
    msPerStepMedian: probe.msPerStepMedian, tokensPerSecond: probe.tokensPerSecond,
  };
}

process.once('message', (job: ChildJob) => {
  handle(job).then(
    (reply) => process.send?.({ reply }, () => process.exit(0)),
    (err: unknown) => process.send?.({ error: err instanceof Error ? err.message : String(err) }, () => process.exit(1)),
  );
});
