/** The schedule module's public API: traces, compression, the artifact format, inspection, export. */
export { describeModel, modelFingerprint, paramShapesOf } from './model-info.js';
export type { GroupInfo, ModelInfo, OptimizerSpec, ParamInfo, PlainRecord, PlainValue, ProbeInfo } from './model-info.js';
export { isValidSample, traceRecorder, type GroupStepNorms, type StepRecord, type Trace, type TraceMeta } from './trace.js';
export { decodeTrace, encodeTrace, TRACE_FORMAT, TRACE_VERSION } from './trace-file.js';
export {
  compressTrace,
  resolveCompressOptions,
  DEFAULT_COMPRESS_OPTIONS,
  type CompressMethod,
  type CompressOptions,
  type Compressed,
  type CompressionInfo,
  type GroupEntry,
  type SpreadStats,
} from './compress.js';
export { artifactGroupOf, multiplierAt, multiplierFn, type GroupSchedule } from './interpolate.js';
export { scheduleRule, scheduleTarget, type ScheduleRule, type ScheduleRun, type ScheduleTarget } from './rule.js';
export {
  buildArtifact,
  checkArtifactMatchesModel,
  decodeArtifact,
  downsampleTrace,
  encodeArtifact,
  ARTIFACT_FORMAT,
  ARTIFACT_VERSION,
  type Artifact,
  type ArtifactBody,
  type ArtifactTrace,
} from './artifact.js';
export { loadArtifact, loadTrace, saveArtifact, saveTrace } from './files.js';
export { scheduleDataNotice } from './data-notice.js';
export {
  frequencyCurve,
  remapPreconditioner,
  tokenEntryMap,
  tokenSources,
  TOKEN_INDEXED,
  type RunVocabulary,
  type TokenMatch,
  type TokenRemap,
} from './token-remap.js';
export type { ProbeVocabulary } from './vocabulary.js';
export { artifactSummaryJson, formatArtifactTable, type ArtifactSummary } from './inspect.js';
export { exportScheduleJson, exportScheduleTorch, type ScheduleJsonExport, type TorchScheduleExport } from './export.js';
