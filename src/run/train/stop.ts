/**
 * A stop request that a signal handler can raise and a training loop polls between steps.
 * The CLI wires SIGINT/SIGTERM to requestStop(); the loop finishes the current step, writes a
 * checkpoint and returns normally (stopped: true).
 */
export interface StopRequest {
  /** Asks the run to stop after the current step (idempotent). */
  requestStop(): void;
  /** Polled by the loop after each step. */
  shouldStop(): boolean;
}

export function stopRequest(): StopRequest {
  let requested = false;
  return {
    requestStop: () => {
      requested = true;
    },
    shouldStop: () => requested,
  };
}
