/**
 * graftlr fill-mask --model model.onnx --tokenizer tokenizer.json [--top-k 5] "text with [MASK]"
 *
 * onnxruntime-node 1.30 crashes (segmentation fault, no message) while creating a session when the
 * process's command line is longer than about 28,900 bytes. The text argument is therefore checked
 * here, before this file loads anything that reaches onnxruntime (the imports below run after the
 * check), and long texts come from a file or stdin instead.
 */
import { readFileChecked } from '../formats/atomic.js';
import { printable } from '../core/printable.js';
import { flag, UsageError } from './args.js';
import type { Command, CommandIo } from './command.js';
import { unusedBackendFlag } from './common.js';

/**
 * The longest text accepted as a command-line argument, in UTF-8 bytes. It leaves room under the ~28,900
 * bytes that crash onnxruntime for the other arguments (two paths of at most 4,096 bytes each and the flags).
 */
export const MAX_TEXT_ARGUMENT_BYTES = 16_000;

/** The text to fill: `--text-file <path>` (`-` = stdin), a `-` argument (stdin), or the argument itself. */
async function readText(positionals: string[], textFile: string | undefined, io: CommandIo): Promise<string> {
  const fromStdin = async () => {
    if (!io.readStdin) throw new UsageError('reading the text from stdin is not available here: use --text-file <path>');
    return io.readStdin();
  };
  if (textFile !== undefined) {
    if (positionals.length > 0) throw new UsageError('give the text either as an argument or with --text-file, not both');
    return textFile === '-' ? fromStdin() : new TextDecoder().decode(readFileChecked(textFile, 'text file'));
  }
  if (positionals.length !== 1)
    throw new UsageError('give exactly one text argument, e.g. "the [MASK] of the union" (or --text-file <path>, - for stdin)');
  if (positionals[0] === '-') return fromStdin();
  const bytes = Buffer.byteLength(positionals[0], 'utf8');
  if (bytes > MAX_TEXT_ARGUMENT_BYTES) {
    throw new UsageError(
      `the text argument is ${bytes} bytes, over the limit of ${MAX_TEXT_ARGUMENT_BYTES} for text on the command line ` +
        '(longer command lines crash onnxruntime-node): pass it with --text-file <path>, or --text-file - to read stdin',
    );
  }
  return positionals[0];
}

export const fillMaskCommand: Command = {
  name: 'fill-mask',
  summary: 'predict the [MASK] tokens of a text with an exported ONNX model (onnxruntime)',
  usage: 'graftlr fill-mask --model model.onnx --tokenizer tokenizer.json [--top-k 5] "text with [MASK]" | --text-file <path|->',
  details:
    'Prints, for every [MASK], the top-k tokens with their probabilities. --json output:\n' +
    '{"masks":[{"position":6,"predictions":[{"token":"nation","id":812,"score":0.41,"sequence":"..."}]}],"ms":{...}}\n' +
    `A text argument may be at most ${MAX_TEXT_ARGUMENT_BYTES} bytes (longer command lines crash onnxruntime-node);\n` +
    'give longer text with --text-file <path>, or from stdin with --text-file - (or a single - argument).\n' +
    'Strings read from the files are printed with control characters escaped (--json output as JSON escapes them).',
  flags: {
    model: { type: 'string', help: 'ONNX model written by graftlr export' },
    tokenizer: { type: 'string', help: 'the tokenizer.json the model was trained with' },
    'text-file': { type: 'string', help: 'read the text from this file instead of the argument (- reads stdin)' },
    'top-k': { type: 'int', help: 'predictions per [MASK]', default: 5, min: 1 },
    threads: { type: 'int', help: 'onnxruntime intra-op threads (default: all cores)', min: 1 },
    json: { type: 'boolean', help: 'print JSON' },
    ...unusedBackendFlag,
  },
  async run(args, io) {
    const model = flag.str(args, 'model');
    const tokenizer = flag.str(args, 'tokenizer');
    if (!model || !tokenizer) throw new UsageError('--model and --tokenizer are required');
    const text = await readText(args.positionals, flag.str(args, 'text-file'), io);
    // Only now load the modules that reach onnxruntime (see the module comment).
    const { fillMaskFromFiles } = await import('../run/eval/jobs.js');
    const { ortDescription } = await import('../runtime/ort.js');
    const threads = flag.int(args, 'threads');
    io.err(`engine: ${ortDescription({ threads })}${flag.str(args, 'backend') ? ' (--backend applies to tfjs commands only)' : ''}`);
    const r = await fillMaskFromFiles({ model, tokenizer, text, topK: flag.int(args, 'top-k'), threads });
    if (r.warning) io.err(`warning: ${r.warning}`);
    if (flag.bool(args, 'json')) {
      io.out(JSON.stringify({ masks: r.results, ms: r.ms }));
      return 0;
    }
    for (const m of r.results) {
      io.out(`[MASK] at position ${m.position}:`);
      // Tokens come from the tokenizer file: their control characters are escaped.
      for (const p of m.predictions) io.out(`  ${p.score.toFixed(4)}  ${printable(p.token).padEnd(16)} ${printable(p.sequence)}`);
    }
    io.err(`load ${r.ms.load.toFixed(0)} ms, inference ${r.ms.infer.toFixed(1)} ms`);
    return 0;
  },
};
