/**
 * SIGINT/SIGTERM during a long run: the first signal asks the run to stop after the current step
 * (it writes a checkpoint and returns); a second one exits at once.
 */
import { stopRequest, type StopRequest } from '../run/train/stop.js';
import type { CommandIo } from './command.js';

export function stopOnSignals(io: CommandIo): StopRequest & { release(): void } {
  const stop = stopRequest();
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count > 1) process.exit(130);
    io.err(`\n${signal}: stopping after the current step (send again to exit at once)`);
    stop.requestStop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    ...stop,
    release() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
