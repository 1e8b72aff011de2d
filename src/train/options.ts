/**
 * Options shared by `train` and `extract`: which model, which data, how batches are drawn, which engine.
 * Every field has a default; `validateRunOptions` names a bad value and the allowed range.
 */
import type { PreparedData } from '../data/prepare.js';
import type { Engine, EngineName } from '../engine/types.js';
import { isPresetName, PRESETS, type BertConfig } from '../model/config.js';
import { DECAYS } from '../optim/schedule-spec.js';

/** Builds an engine for a model config; `seed` seeds dropout. */
export type EngineFactory = (config: BertConfig, seed: number) => Engine | Promise<Engine>;

export type Decay = (typeof DECAYS)[number];

export interface RunOptions {
  /** Model preset: tiny | mini | small | base (default 'tiny'). */
  preset: string;
  /** Overrides of the preset's config; vocabSize always comes from the tokenizer. */
  configOverrides: Partial<BertConfig>;
  /** 'sotu' or a list of text files / folders (default 'sotu'). */
  corpus: 'sotu' | string[];
  /** Tokenizer vocabulary size (default 8192). */
  vocabSize: number;
  /** Cache folder for the tokenizer and encoded ids (default none). */
  cacheDir?: string;
  /** Already prepared data (e.g. shared by the runs of a comparison); then corpus/vocabSize/cacheDir are unused. */
  data?: PreparedData;
  /** Sequences per batch B (default 32). */
  batchSize: number;
  /** Tokens per sequence T (default 128). */
  seqLen: number;
  /** Seeds init, data order, masking and dropout (default 0). */
  seed: number;
  /** 'tfjs' (default), 'ort' (onnxruntime-node), or a factory for another engine. */
  engine: EngineName | EngineFactory;
  /** Name of the active tfjs backend, recorded in checkpoints and artifacts (the CLI picks it). */
  backend: string;
  /** Held-out sequences evaluated per split, spread evenly over the split (default 256). */
  evalSequences: number;
  /** Refuse a run whose estimated memory exceeds the machine's before it starts (memory-estimate.ts; default true). */
  memoryCheck?: boolean;
}

export const RUN_DEFAULTS: RunOptions = {
  preset: 'tiny', configOverrides: {}, corpus: 'sotu', vocabSize: 8192, batchSize: 32, seqLen: 128, seed: 0,
  engine: 'tfjs', backend: 'unknown', evalSequences: 256,
};

/** Throws unless v is an integer in [min, max]; `who` prefixes the message (e.g. "train"). */
export function checkInt(who: string, name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new Error(`${who}: ${name} = ${String(v)} is invalid: expected an integer ${range}`);
  }
}

/** Throws unless v is a finite number in the interval (lo, hi] or [lo, hi] (`closedLo`). */
export function checkNumber(who: string, name: string, v: unknown, lo: number, hi: number, closedLo = false): void {
  const ok = typeof v === 'number' && Number.isFinite(v) && (closedLo ? v >= lo : v > lo) && v <= hi;
  if (!ok) throw new Error(`${who}: ${name} = ${String(v)} is invalid: expected a number in ${closedLo ? '[' : '('}${lo}, ${hi}]`);
}

export function checkDecay(who: string, decay: unknown): void {
  if (!DECAYS.includes(decay as Decay)) {
    throw new Error(`${who}: decay = ${JSON.stringify(decay)} is invalid: expected one of ${DECAYS.join(', ')}`);
  }
}

/** Fills defaults and validates the shared options. */
export function validateRunOptions(who: string, o: Partial<RunOptions>): RunOptions {
  const r: RunOptions = { ...RUN_DEFAULTS, ...stripUndefined(o) };
  if (!isPresetName(r.preset)) {
    throw new Error(`${who}: preset = "${r.preset}" is unknown: choose one of ${Object.keys(PRESETS).join(', ')}`);
  }
  if (r.corpus !== 'sotu' && !(Array.isArray(r.corpus) && r.corpus.length > 0)) {
    throw new Error(`${who}: corpus = ${JSON.stringify(r.corpus)} is invalid: expected "sotu" or a list of text files / folders`);
  }
  checkInt(who, 'vocabSize', r.vocabSize, 16, 1_000_000);
  checkInt(who, 'batchSize', r.batchSize, 1, 1_000_000);
  checkInt(who, 'seqLen', r.seqLen, 3, 65536);
  checkInt(who, 'seed', r.seed, 0, 0xffffffff);
  checkInt(who, 'evalSequences', r.evalSequences, 0);
  if (typeof r.engine !== 'function' && r.engine !== 'tfjs' && r.engine !== 'ort') {
    throw new Error(`${who}: engine = ${JSON.stringify(r.engine)} is invalid: expected "tfjs", "ort" or an engine factory`);
  }
  return r;
}

/** A copy without properties whose value is undefined (so they do not override defaults). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
