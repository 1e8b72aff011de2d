/**
 * Flags shared by the commands that run a model (extract, train, compare): model, data, batches, engine.
 */
import { isPresetName, PRESETS } from '../model/config.js';
import type { RunOptions } from '../train/options.js';
import { flag, UsageError, type FlagSpecs, type ParsedArgs } from './args.js';
import { backendFlag } from './common.js';

export const DEFAULT_CACHE_DIR = '.cache/graftlr';

export const runFlags: FlagSpecs = {
  preset: { type: 'string', choices: Object.keys(PRESETS), default: 'tiny', help: 'model size preset' },
  corpus: {
    type: 'list',
    help: '"sotu" (State of the Union, bundled) or comma-separated text files/folders (*.txt, *.md)',
    default: ['sotu'],
  },
  'vocab-size': { type: 'int', min: 16, max: 1_000_000, default: 8192, help: 'WordPiece vocabulary size' },
  'batch-size': { type: 'int', min: 1, default: 32, help: 'sequences per batch' },
  'seq-len': { type: 'int', min: 3, max: 512, default: 128, help: 'tokens per sequence' },
  seed: { type: 'int', min: 0, max: 0xffffffff, default: 0, help: 'seeds initialisation, data order and masking' },
  engine: {
    type: 'string', choices: ['ort', 'tfjs'], default: 'ort',
    help: 'ort: compiled onnxruntime graph (fast); tfjs: TensorFlow.js reference',
  },
  'init-std': {
    type: 'number', min: 0,
    help: "std of the truncated-normal weight initialisation (default: the preset's, 0.02 as in BERT; small models learn attention faster from larger values, e.g. 0.05 for tiny)",
  },
  'eval-sequences': { type: 'int', min: 0, default: 256, help: 'held-out sequences evaluated per split' },
  'memory-check': { type: 'boolean', default: true, help: "refuse a run whose estimated memory exceeds the machine's (--no-memory-check skips it)" },
  'cache-dir': { type: 'string', default: DEFAULT_CACHE_DIR, help: 'where the trained tokenizer and encoded corpus are cached' },
  ...backendFlag,
};

/** The RunOptions part of a command's flags. */
export function runOptionsFrom(args: ParsedArgs, backend: string): Partial<RunOptions> {
  const preset = flag.str(args, 'preset') ?? 'tiny';
  if (!isPresetName(preset)) throw new UsageError(`--preset ${preset}: expected one of ${Object.keys(PRESETS).join(', ')}`);
  const corpus = flag.list(args, 'corpus') ?? ['sotu'];
  if (corpus.length === 0) throw new UsageError('--corpus needs "sotu" or at least one file or folder');
  const initStd = flag.num(args, 'init-std');
  if (initStd !== undefined && !(initStd > 0 && initStd < 1)) throw new UsageError(`--init-std ${initStd}: expected a number in (0, 1)`);
  return {
    preset,
    configOverrides: initStd === undefined ? {} : { initStd },
    corpus: corpus.length === 1 && corpus[0] === 'sotu' ? 'sotu' : corpus,
    vocabSize: flag.int(args, 'vocab-size'),
    batchSize: flag.int(args, 'batch-size'),
    seqLen: flag.int(args, 'seq-len'),
    seed: flag.int(args, 'seed'),
    engine: flag.str(args, 'engine') as 'ort' | 'tfjs',
    evalSequences: flag.int(args, 'eval-sequences'),
    cacheDir: flag.str(args, 'cache-dir') || undefined,
    memoryCheck: flag.bool(args, 'memory-check'),
    backend,
  };
}

/** Refuses positional arguments for commands that take none. */
export function noPositionals(args: ParsedArgs): void {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
}
