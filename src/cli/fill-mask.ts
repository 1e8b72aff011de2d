/**
 * graftlr fill-mask --model model.onnx --tokenizer tokenizer.json [--top-k 5] "text with [MASK]"
 */
import { fillMaskFromFiles } from '../eval/jobs.js';
import { ortDescription } from '../eval/ort.js';
import { flag, UsageError } from './args.js';
import type { Command } from './command.js';
import { unusedBackendFlag } from './common.js';

export const fillMaskCommand: Command = {
  name: 'fill-mask',
  summary: 'predict the [MASK] tokens of a text with an exported ONNX model (onnxruntime)',
  usage: 'graftlr fill-mask --model model.onnx --tokenizer tokenizer.json [--top-k 5] "text with [MASK]"',
  details: 'Prints, for every [MASK], the top-k tokens with their probabilities. --json output:\n' +
    '{"masks":[{"position":6,"predictions":[{"token":"nation","id":812,"score":0.41,"sequence":"..."}]}],"ms":{...}}',
  flags: {
    model: { type: 'string', help: 'ONNX model written by graftlr export' },
    tokenizer: { type: 'string', help: 'the tokenizer.json the model was trained with' },
    'top-k': { type: 'int', help: 'predictions per [MASK]', default: 5, min: 1 },
    threads: { type: 'int', help: 'onnxruntime intra-op threads (default: all cores)', min: 1 },
    json: { type: 'boolean', help: 'print JSON' },
    ...unusedBackendFlag,
  },
  async run(args, io) {
    const model = flag.str(args, 'model');
    const tokenizer = flag.str(args, 'tokenizer');
    if (!model || !tokenizer) throw new UsageError('--model and --tokenizer are required');
    if (args.positionals.length !== 1) throw new UsageError('give exactly one text argument, e.g. "the [MASK] of the union"');
    const threads = flag.int(args, 'threads');
    io.err(`engine: ${ortDescription({ threads })}${flag.str(args, 'backend') ? ' (--backend applies to tfjs commands only)' : ''}`);
    const r = await fillMaskFromFiles({ model, tokenizer, text: args.positionals[0], topK: flag.int(args, 'top-k'), threads });
    if (r.warning) io.err(`warning: ${r.warning}`);
    if (flag.bool(args, 'json')) {
      io.out(JSON.stringify({ masks: r.results, ms: r.ms }));
      return 0;
    }
    for (const m of r.results) {
      io.out(`[MASK] at position ${m.position}:`);
      for (const p of m.predictions) io.out(`  ${p.score.toFixed(4)}  ${p.token.padEnd(16)} ${p.sequence}`);
    }
    io.err(`load ${r.ms.load.toFixed(0)} ms, inference ${r.ms.infer.toFixed(1)} ms`);
    return 0;
  },
};
