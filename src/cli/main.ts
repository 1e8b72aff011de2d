/**
 * graftlr command-line entry: dispatches to one command; turns errors into one-line messages.
 *   exit 0 ok, 1 failure, 2 usage error.
 */
import { formatHelp, parseArgs, UsageError } from './args.js';
import type { Command, CommandIo } from './command.js';
import { commands } from './registry.js';
import { printable } from '../core/printable.js';

const defaultIo: CommandIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/**
 * A reader that goes away (`graftlr export-schedule a.graft | head -c 10`) closes our stdout; the next
 * write fails with EPIPE, which Node reports as an unhandled 'error' event and a stack trace. Like Unix
 * tools, end quietly instead: nobody is left to read the rest. Exit status 0: the output that was wanted
 * was delivered. Other stream errors keep their normal report. Called once by bin/graftlr.mjs.
 */
export function endQuietlyWhenOutputCloses(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
}

function overview(list: Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length)) + 2;
  return [
    'usage: graftlr <command> [options]   (graftlr <command> --help for details)',
    '',
    'Adam-quality training with stateless SGD: extract per-layer learning-rate schedules by grafting',
    '(Adam#SGD), ship them as artifacts, and train BERT-style masked-language models without optimizer state.',
    '',
    'commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CommandIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  const list = commands();
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview(list));
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out('graftlr 0.1.0');
    return 0;
  }
  const command = list.find((c) => c.name === name);
  if (!command) {
    io.err(`graftlr: unknown command "${printable(name)}" (run graftlr --help for the list)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(formatHelp(command.usage, command.summary, command.flags, command.details));
    return 0;
  }
  try {
    return await command.run(parseArgs(rest, command.flags), io);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // Messages can quote strings from files (names, metadata): their control characters are escaped.
    io.err(`graftlr ${printable(name)}: ${printable(message.split('\n')[0])}`);
    if (io.env.GRAFTLR_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return e instanceof UsageError ? 2 : 1;
  }
}
