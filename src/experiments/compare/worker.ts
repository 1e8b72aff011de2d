/**
 * One compare run in its own process, so that each method's peak RSS is its own and a crash of one run
 * cannot take the others with it. The parent (run-child.ts) sends one job; the worker answers with one
 * message and exits. If the parent goes away (killed, or the comparison stopped), nobody can read the run's
 * result: the worker says so in one line and exits instead of failing on a closed channel.
 */
import { handleJob } from './job.js';
import type { ChildJob } from './run-child.js';

const PARENT_GONE_EXIT_CODE = 3;

process.once('disconnect', () => {
  process.stderr.write('compare worker: the comparison that started this run has stopped; stopping the run\n');
  process.exit(PARENT_GONE_EXIT_CODE);
});

/** Sends to the parent while it listens; a send that fails because it has just gone is left to 'disconnect'. */
function send(message: object, then?: () => void): void {
  if (!process.connected) return;
  process.send!(message, (err: Error | null) => {
    if (!err) then?.();
  });
}

process.once('message', (job: ChildJob) => {
  handleJob(job, (done) => send({ progress: done })).then(
    (reply) => send({ reply }, () => process.exit(0)),
    (err: unknown) => send({ error: err instanceof Error ? err.message : String(err) }, () => process.exit(1)),
  );
});
