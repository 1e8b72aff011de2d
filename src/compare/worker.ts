/**
 * One compare run in its own process, so that each method's peak RSS is its own and a crash of one run
 * cannot take the others with it. The parent (run-child.ts) sends one job; the worker answers with one
 * message and exits.
 */
import { handleJob } from './job.js';
import type { ChildJob } from './run-child.js';

process.once('message', (job: ChildJob) => {
  handleJob(job, (done) => process.send?.({ progress: done })).then(
    (reply) => process.send?.({ reply }, () => process.exit(0)),
    (err: unknown) => process.send?.({ error: err instanceof Error ? err.message : String(err) }, () => process.exit(1)),
  );
});
