/**
 * The training-data description an exported model carries (the `graftlr.data` metadata entry, written
 * by src/run/train/export-checkpoint.ts), read back for `graftlr eval` and `graftlr fill-mask`.
 *
 * The model file may come from anyone, so its description is checked like any other input: every field
 * is optional, and a present field must have its type and range; a bad entry is refused in one line that
 * names the file and the field. A corpus given as file paths is not read on the file's word alone: it
 * could name any folder on this machine (eval reads it and writes cache files for it). The caller
 * decides whether it is trusted (see corpusToRead).
 */
import { BUILT_IN_CORPORA, isBuiltInCorpus, type BuiltInCorpus } from '../../data/corpus.js';

/** What the model file records about its training data; absent fields were not recorded. */
export interface RecordedData {
  corpus?: BuiltInCorpus | string[];
  seqLen?: number;
  vocabSize?: number;
  heldoutFraction?: number;
  dataFingerprint?: string;
  batchSize?: number;
  /** 0 = the training run evaluated every held-out sequence. */
  evalSequences?: number;
}

/** The corpora shipped with graftlr, safe to read whatever a model file says. */
export { BUILT_IN_CORPORA };

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * Parses and checks the `graftlr.data` entry of model file `file` (`raw` undefined: nothing recorded).
 * Throws "<file>: graftlr.data metadata ...: ..." for non-JSON, a non-object, or a field of the wrong
 * type or range.
 */
export function parseRecordedData(raw: string | undefined, file: string): RecordedData {
  if (raw === undefined) return {};
  const bad = (what: string) =>
    new Error(
      `${file}: the model's graftlr.data metadata ${what}: re-export the model with graftlr export, or pass the data flags (--corpus, --seq-len, ...) yourself`,
    );
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw bad('is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad(`is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not an object`);
  const v = value as Record<string, unknown>;
  const out: RecordedData = {};
  const field = (key: string, ok: boolean, expected: string) => {
    if (!ok) throw bad(`has ${key} = ${JSON.stringify(v[key])?.slice(0, 80)}: expected ${expected}`);
  };
  if (v.corpus !== undefined) {
    const c = v.corpus;
    field(
      'corpus',
      isBuiltInCorpus(c) || (Array.isArray(c) && c.length > 0 && c.every((p) => typeof p === 'string' && p.length > 0)),
      `${BUILT_IN_CORPORA.map((b: string) => `"${b}"`).join(', ')} or a non-empty list of file paths`,
    );
    out.corpus = c as RecordedData['corpus'];
  }
  if (v.seqLen !== undefined) {
    field('seqLen', isInt(v.seqLen, 3), 'an integer >= 3');
    out.seqLen = v.seqLen as number;
  }
  if (v.vocabSize !== undefined) {
    field('vocabSize', isInt(v.vocabSize, 1), 'a positive integer');
    out.vocabSize = v.vocabSize as number;
  }
  if (v.heldoutFraction !== undefined) {
    const f = v.heldoutFraction;
    field('heldoutFraction', typeof f === 'number' && f > 0 && f < 1, 'a number in (0, 1)');
    out.heldoutFraction = f as number;
  }
  if (v.dataFingerprint !== undefined) {
    field('dataFingerprint', typeof v.dataFingerprint === 'string', 'a string');
    out.dataFingerprint = v.dataFingerprint as string;
  }
  if (v.batchSize !== undefined) {
    field('batchSize', isInt(v.batchSize, 1), 'a positive integer');
    out.batchSize = v.batchSize as number;
  }
  if (v.evalSequences !== undefined) {
    field('evalSequences', isInt(v.evalSequences, 0), 'an integer >= 0 (0 = all)');
    out.evalSequences = v.evalSequences as number;
  }
  return out;
}

/**
 * The corpus to evaluate on: the caller's if given; else the recorded one if it is built in, or if
 * `trustModelCorpus` confirms the file paths the model names; else "sotu" when nothing is recorded.
 * Throws, naming the paths and both ways to confirm, for recorded file paths without confirmation.
 */
export function corpusToRead(
  given: BuiltInCorpus | string[] | undefined,
  recorded: RecordedData['corpus'],
  file: string,
  trustModelCorpus = false,
): BuiltInCorpus | string[] {
  if (given !== undefined) return given;
  if (recorded === undefined) return 'sotu';
  if (isBuiltInCorpus(recorded) || trustModelCorpus) return recorded;
  const shown = recorded.slice(0, 3).join(', ') + (recorded.length > 3 ? `, ... (${recorded.length} paths)` : '');
  throw new Error(
    `${file} says it was trained on the files ${shown}; eval reads corpus paths from a model only when you confirm them: ` +
      'pass --corpus with those paths (or your own), or --trust-model-corpus',
  );
}
