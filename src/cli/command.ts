/**
 * The shape of one CLI command: one file per command in src/cli/, registered in main.ts.
 * A command parses flags into an options object, calls one library function, and writes results.
 */
import type { FlagSpecs, ParsedArgs } from './args.js';

export interface CommandIo {
  /** Results (tables, JSON) go to stdout. */
  out: (text: string) => void;
  /** Progress, backend notices and warnings go to stderr. */
  err: (text: string) => void;
  /** Environment (read by the CLI only, never by the library). */
  env: NodeJS.ProcessEnv;
  /** The whole of stdin as text (fill-mask's `--text-file -`); absent where there is no stdin to read. */
  readStdin?: () => Promise<string>;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** e.g. "graftlr inspect <artifact> [options]" */
  usage: string;
  /** Extra paragraphs for --help (examples, notes). */
  details?: string;
  flags: FlagSpecs;
  /** Returns the process exit code. Throw UsageError for bad usage (exit 2), Error for failures (exit 1). */
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}
