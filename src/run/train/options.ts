/**
 * Options shared by `train`, `extract` and `compare`: which model, which data, how batches are drawn, which
 * engine. RUN_SCHEMA holds each one's default (the recommended value), limits and help; the command-line
 * flags are built from it (src/cli/run-flags.ts). `validateRunOptions` names a bad value and the allowed range.
 */
import { isBuiltInCorpus, type BuiltInCorpus } from '../../data/corpus.js';
import type { PreparedData } from '../../data/prepare.js';
import type { Engine, EngineName } from '../../engine/types.js';
import { isPresetName, PRESETS, type BertConfig } from '../../model/config.js';
import { DECAYS } from '../../optim/schedule-spec.js';
import { applySchema, type OptionSchema } from '../../core/options/schema.js';
import { checkEnum, stripUndefined } from '../../core/options/validate.js';

/** Builds an engine for a model config; `seed` seeds dropout. */
export type EngineFactory = (config: BertConfig, seed: number) => Engine | Promise<Engine>;

export type Decay = (typeof DECAYS)[number];

export interface RunOptions {
  /** Model preset: tiny | mini | small | base. */
  preset: string;
  /** Overrides of the preset's config; vocabSize always comes from the tokenizer. */
  configOverrides: Partial<BertConfig>;
  /** A bundled corpus ('sotu', 'moby-dick') or a list of text files / folders. */
  corpus: BuiltInCorpus | string[];
  /** Tokenizer vocabulary size. */
  vocabSize: number;
  /** Cache folder for the tokenizer and encoded ids (default none: the library writes nothing unless asked). */
  cacheDir?: string;
  /** Already prepared data (e.g. shared by the runs of a comparison); then corpus/vocabSize/cacheDir are unused. */
  data?: PreparedData;
  /** Sequences per batch B. */
  batchSize: number;
  /** Tokens per sequence T (at most the model's maxPositions). */
  seqLen: number;
  /** Seeds init, data order, masking and dropout. */
  seed: number;
  /** 'ort' (onnxruntime-node, the default), 'tfjs' (the reference), or a factory for another engine. */
  engine: EngineName | EngineFactory;
  /** Name of the active tfjs backend, recorded in checkpoints and artifacts (the CLI picks it). */
  backend: string;
  /** Held-out sequences evaluated per split, spread evenly over the split. */
  evalSequences: number;
  /** Refuse a run whose estimated memory exceeds the machine's before it starts (memory-estimate.ts). */
  memoryCheck?: boolean;
}

/** Defaults, limits and help of RunOptions (the command line's --preset, --seq-len, ... come from here). */
export const RUN_SCHEMA: OptionSchema = {
  preset: { kind: 'enum', flag: 'preset', choices: Object.keys(PRESETS), default: 'tiny', help: 'model size preset' },
  corpus: {
    kind: 'strings',
    flag: 'corpus',
    default: 'sotu',
    help: '"sotu" (State of the Union, bundled), "moby-dick" (bundled) or comma-separated text files/folders (*.txt, *.md)',
    check: (who, name, v) => {
      if (!isBuiltInCorpus(v) && !(Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0))) {
        throw new Error(
          `${who}: ${name} = ${JSON.stringify(v)} is invalid: expected "sotu", "moby-dick" or a list of text files / folders`,
        );
      }
    },
  },
  vocabSize: { kind: 'int', flag: 'vocab-size', lo: 16, hi: 1_000_000, default: 8192, help: 'WordPiece vocabulary size' },
  batchSize: { kind: 'int', flag: 'batch-size', lo: 1, hi: 1_000_000, default: 32, help: 'sequences per batch' },
  seqLen: {
    kind: 'int',
    flag: 'seq-len',
    lo: 3,
    hi: 65536,
    default: 128,
    help: "tokens per sequence (at most the model's maxPositions, 512 for the presets)",
  },
  seed: { kind: 'int', flag: 'seed', lo: 0, hi: 0xffffffff, default: 0, help: 'seeds initialisation, data order and masking' },
  engine: {
    kind: 'enum',
    flag: 'engine',
    choices: ['ort', 'tfjs'],
    default: 'ort',
    help: 'ort: compiled onnxruntime graph (fast); tfjs: TensorFlow.js reference',
    check: (who, name, v) => {
      if (typeof v !== 'function') checkEnum(who, name, v, ['ort', 'tfjs']);
    },
  },
  evalSequences: { kind: 'int', flag: 'eval-sequences', lo: 0, default: 256, help: 'held-out sequences evaluated per split' },
  memoryCheck: {
    kind: 'boolean',
    flag: 'memory-check',
    default: true,
    help: "refuse a run whose estimated memory exceeds the machine's (--no-memory-check skips it)",
  },
};

/** Fills defaults and validates the shared options. */
export function validateRunOptions(who: string, o: Partial<RunOptions>): RunOptions {
  // The model's maxPositions bounds seqLen too: runConfig (setup.ts) checks it against the config it builds.
  const r = applySchema<RunOptions>(who, RUN_SCHEMA, { configOverrides: {}, backend: 'unknown', ...stripUndefined(o) });
  if (!isPresetName(r.preset))
    throw new Error(`${who}: preset = "${r.preset}" is unknown: choose one of ${Object.keys(PRESETS).join(', ')}`);
  return r;
}
