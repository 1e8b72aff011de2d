/**
 * Flags and setup shared by the commands: backend choice (flag > GRAFTLR_BACKEND > automatic), and the
 * notice on stderr saying which backend runs and why.
 */
import { initBackend } from '../runtime/backend.js';
import type { FlagSpecs, ParsedArgs } from './args.js';
import { UsageError } from './args.js';
import type { CommandIo } from './command.js';

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const backendFlag: FlagSpecs = {
  backend: {
    type: 'string',
    choices: BACKENDS,
    help: 'tfjs backend (default: tensorflow if @tensorflow/tfjs-node-gpu loads, else wasm, else cpu; env GRAFTLR_BACKEND)',
  },
};

/** Initialises the tfjs backend the user asked for (or the best available) and says which runs. */
export async function setupBackend(args: ParsedArgs, io: CommandIo): Promise<string> {
  const requested = (args.flags.backend as string | undefined) ?? io.env.GRAFTLR_BACKEND;
  if (requested !== undefined && !(BACKENDS as readonly string[]).includes(requested)) {
    throw new UsageError(`GRAFTLR_BACKEND=${requested}: expected one of ${BACKENDS.join(', ')}`);
  }
  const { name, reason } = await initBackend({ prefer: requested as BackendName | undefined });
  io.err(`backend: ${name}${reason ? ` (${reason})` : ''}`);
  return name;
}

/** `--backend` for commands that run no tfjs (onnxruntime or plain file work): accepted, and only reported. */
export const unusedBackendFlag: FlagSpecs = {
  backend: { type: 'string', choices: BACKENDS, help: 'tfjs backend (unused: this command runs no tfjs)' },
};
