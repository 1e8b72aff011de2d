/**
 * graftlr's public API: re-exports only. See README.md for a walk-through.
 *
 *   data -> model -> engine (loss + grads) -> optimizer (graft / scheduledSgd) -> params
 *   extract: graft(adam, sgd) -> trace -> compress -> schedule artifact
 *   train:   scheduledSgd(artifact multipliers), no optimizer state
 */
export { initBackend, type BackendName } from './runtime/backend.js';
export * from './core/params.js';
export { rng, type Rng } from './core/random.js';

// Optimizers as values, grafting, schedules.
export * from './optim/index.js';

// Model.
export { PRESETS, presetConfig, validateConfig, type BertConfig, type PresetName } from './model/config.js';
export { encode, evaluate, initParams, lossAndGrads, mlmLogits, mlmLoss, paramShapes } from './model/bert.js';
export { groupingNames, makeGroupOf, type GroupingName } from './model/groups.js';

// Data.
export type { MlmBatch } from './data/batch.js';
export { prepareData, type PreparedData } from './data/prepare.js';
export { BUILT_IN_CORPORA, loadCorpus, type BuiltInCorpus, type CorpusChoice } from './data/corpus.js';
export { dataFingerprint, tokenizerFingerprint } from './data/fingerprint.js';
export { evalBatches, makeBatcher } from './data/mlm.js';

// Engines.
export type { Engine, EngineName, EvalResult, LossAndGrads } from './engine/types.js';
export { createTfjsEngine } from './engine/tfjs.js';
export { createOrtEngine } from './engine/ort/engine.js';

// Schedules as artifacts.
export {
  artifactGroupOf,
  artifactSummaryJson,
  buildArtifact,
  checkArtifactMatchesModel,
  compressTrace,
  decodeArtifact,
  encodeArtifact,
  exportScheduleJson,
  exportScheduleTorch,
  formatArtifactTable,
  loadArtifact,
  loadTrace,
  multiplierAt,
  multiplierFn,
  saveArtifact,
  saveTrace,
  scheduleDataNotice,
  scheduleRule,
  frequencyCurve,
  remapPreconditioner,
  tokenEntryMap,
  tokenSources,
  TOKEN_INDEXED,
  type ProbeVocabulary,
  type RunVocabulary,
  type TokenMatch,
  type TokenRemap,
  type Artifact,
  type ArtifactBody,
  type CompressOptions,
  type ScheduleRule,
  type ScheduleRun,
  type Trace,
} from './schedule/index.js';

// Runs: extract, train, compare.
export { extractSchedule, type ExtractOptions, type ExtractResult } from './run/probe/extract.js';
export { runProbe, type ProbeOptions, type ProbeResult } from './run/probe/probe.js';
export { runTraining, type TrainSummary } from './run/train/run.js';
export type { TrainOptions } from './run/train/train-options.js';
export { runCompare, type CompareResult } from './experiments/compare/run.js';

// Options: one schema per job (defaults are the recommended values; the CLI flags are built from them).
export { RUN_SCHEMA, type RunOptions } from './run/train/options.js';
export { TRAIN_SCHEMA } from './run/train/train-options.js';
export { PROBE_SCHEMA } from './run/probe/probe.js';
export { COMPARE_SCHEMA, type CompareOptions } from './experiments/compare/options.js';
export { COMPRESS_SCHEMA } from './schedule/compress-schema.js';
export { applySchema, defaultsOf, type OptionSchema, type OptionSpec } from './core/options/schema.js';

// Export and inference.
export { exportOnnx, importOnnx } from './model/onnx/export.js';
export { exportCheckpoint } from './run/train/export-checkpoint.js';
export { fillMaskFromFiles, evaluateModelFile } from './run/eval/jobs.js';
