/**
 * graftlr eval --model model.onnx [--split heldout|ood] [--json]
 */
import { corpusFromList } from '../data/corpus.js';
import { evaluateModelFile } from '../run/eval/jobs.js';
import { ortDescription } from '../runtime/ort.js';
import { flag, UsageError } from './args.js';
import type { Command } from './command.js';
import { unusedBackendFlag } from './common.js';
import { progress } from './progress.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'held-out MLM loss and accuracy of an exported ONNX model (onnxruntime)',
  usage: 'graftlr eval --model model.onnx [--split heldout|ood] [--json] [options]',
  details:
    'The data (corpus, sequence length, batches) default to what the model file records from training,\n' +
    "so the result matches the training run's own held-out evaluation. The record is checked (a bad entry is\n" +
    'refused, naming the file). A recorded built-in corpus (sotu, moby-dick) is used as is; a recorded list of file paths\n' +
    'is read only when you confirm it, with --corpus <paths> or --trust-model-corpus: a model file from\n' +
    'elsewhere could name any folder on this machine (eval reads it and writes cache files for it).\n' +
    'The loss is also split by what the input showed at the scored position (BERT masking: 80% [MASK],\n' +
    '10% a random token, 10% kept). At [MASK] inputs the model has only the context: a model that ignores it\n' +
    'scores about the unigram loss there, however low its overall loss (the kept tokens can be copied).\n' +
    '--json output: {"split","loss","accuracy","tokens","byInput":{"mask","random","kept"},"sequences","batches",\n' +
    '"seqLen","corpus","dataFingerprint","modelDataFingerprint","ms":{"data","eval"}}',
  flags: {
    model: { type: 'string', help: 'ONNX model written by graftlr export' },
    split: { type: 'string', help: 'held-out split', choices: ['heldout', 'ood'], default: 'heldout' },
    corpus: { type: 'list', help: 'corpus: sotu or text files/folders (default: as recorded in the model, see above)' },
    'trust-model-corpus': { type: 'boolean', help: 'read the corpus file paths recorded in the model file' },
    'seq-len': { type: 'int', help: 'sequence length (default: as recorded in the model, else 128)', min: 3 },
    'batch-size': { type: 'int', help: 'sequences per batch (default: as in training, else 16)', min: 1 },
    'max-sequences': { type: 'int', help: 'evaluate at most this many sequences (default: as in training, else all)', min: 1 },
    cache: { type: 'string', help: 'folder caching the tokenizer and encoded corpus' },
    threads: { type: 'int', help: 'onnxruntime intra-op threads (default: all cores)', min: 1 },
    json: { type: 'boolean', help: 'print JSON' },
    ...unusedBackendFlag,
  },
  async run(args, io) {
    const model = flag.str(args, 'model');
    if (!model) throw new UsageError('--model is required');
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const corpusList = flag.list(args, 'corpus');
    const corpus = corpusList === undefined ? undefined : corpusFromList(corpusList);
    const threads = flag.int(args, 'threads');
    io.err(`engine: ${ortDescription({ threads })}${flag.str(args, 'backend') ? ' (--backend applies to tfjs commands only)' : ''}`);
    let bar: ReturnType<typeof progress> | undefined;
    const r = await evaluateModelFile({
      model,
      split: flag.str(args, 'split') as 'heldout' | 'ood',
      corpus,
      trustModelCorpus: flag.bool(args, 'trust-model-corpus'),
      seqLen: flag.int(args, 'seq-len'),
      batchSize: flag.int(args, 'batch-size'),
      maxSequences: flag.int(args, 'max-sequences'),
      cacheDir: flag.str(args, 'cache'),
      threads,
      onBatch: (done, total) => (bar ??= progress('eval', total, io.err, { isTTY: process.stderr.isTTY })).update(done),
    });
    bar?.finish();
    if (r.modelDataFingerprint !== undefined && r.modelDataFingerprint !== r.dataFingerprint) {
      io.err('warning: the data rebuilt here differs from the data recorded in the model (another corpus or version?)');
    }
    if (flag.bool(args, 'json')) {
      const {
        split,
        loss,
        accuracy,
        tokens,
        byInput,
        sequences,
        batches,
        seqLen,
        corpus: c,
        dataFingerprint,
        modelDataFingerprint,
        ms,
      } = r;
      io.out(
        JSON.stringify({
          split,
          loss,
          accuracy,
          tokens,
          byInput,
          sequences,
          batches,
          seqLen,
          corpus: c,
          dataFingerprint,
          modelDataFingerprint: modelDataFingerprint ?? null,
          ms,
        }),
      );
      return 0;
    }
    io.out(
      `${r.split}: loss ${r.loss.toFixed(4)}  accuracy ${(100 * r.accuracy).toFixed(2)}%  (${r.tokens} masked tokens, ${r.sequences} sequences of ${r.seqLen})`,
    );
    const labels = { mask: 'input [MASK] (context only)', random: 'input a random token', kept: 'input kept' };
    for (const kind of ['mask', 'random', 'kept'] as const) {
      const part = r.byInput[kind];
      const scores = part.tokens === 0 ? '-' : `loss ${part.loss.toFixed(4)}  accuracy ${(100 * part.accuracy).toFixed(2)}%`;
      io.out(`  ${labels[kind].padEnd(27)} ${scores}  (${part.tokens} tokens)`);
    }
    return 0;
  },
};
