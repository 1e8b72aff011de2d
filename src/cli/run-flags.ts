/**
 * Flags shared by the commands that run a model (extract, train, compare): model, data, batches, engine.
 * Their defaults, limits and help come from RUN_SCHEMA (src/run/train/options.ts).
 */
import { corpusFromList } from '../data/corpus.js';
import { RUN_SCHEMA, type RunOptions } from '../run/train/options.js';
import { UsageError, type FlagSpecs, type ParsedArgs } from './args.js';
import { backendFlag } from './common.js';
import { flagsOf, optionsFrom } from './schema-flags.js';

/** Where the command line caches tokenizers and encoded corpora (the library caches only when given a folder). */
export const DEFAULT_CACHE_DIR = '.cache/graftlr';

export const runFlags: FlagSpecs = {
  ...flagsOf(RUN_SCHEMA),
  'init-std': {
    type: 'number',
    min: 0,
    max: 1,
    loOpen: true,
    hiOpen: true,
    help: "std of the truncated-normal weight initialisation (default: the preset's, 0.02 as in BERT; small models learn attention faster from larger values, e.g. 0.05 for tiny)",
  },
  'cache-dir': { type: 'string', default: DEFAULT_CACHE_DIR, help: 'where the trained tokenizer and encoded corpus are cached' },
  ...backendFlag,
};

/** The RunOptions part of a command's flags. */
export function runOptionsFrom(args: ParsedArgs, backend: string): Partial<RunOptions> {
  const o = optionsFrom(RUN_SCHEMA, args) as Partial<RunOptions> & { corpus?: string[] };
  const corpus = o.corpus ?? ['sotu'];
  if (corpus.length === 0) throw new UsageError('--corpus needs "sotu", "moby-dick" or at least one file or folder');
  const initStd = args.flags['init-std'] as number | undefined;
  return {
    ...o,
    corpus: corpusFromList(corpus),
    configOverrides: initStd === undefined ? {} : { initStd },
    cacheDir: (args.flags['cache-dir'] as string | undefined) || undefined,
    backend,
  };
}

/** Refuses positional arguments for commands that take none. */
export function noPositionals(args: ParsedArgs): void {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
}
