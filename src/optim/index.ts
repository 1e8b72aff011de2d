/** Public optimizer API: optimizer values, building blocks, combinators, grafting, schedules, state helpers. */
export type { CountState, LearningRate, Optimizer, OptimizerSpec, Schedule, StateOf, Updates } from './base.js';
export { asSchedule, checkRange, tidyUpdate } from './base.js';
export {
  addDecayedWeights,
  clipByGlobalNorm,
  globalNorm,
  identity,
  scale,
  scaleByGroup,
  scaleByLearningRate,
  scaleBySchedule,
  scaleByTrustRatio,
  type EmptyState,
} from './transforms.js';
export {
  scaleByAdagrad,
  scaleByAdam,
  scaleByRms,
  trace,
  type AccumulatorState,
  type AdagradOptions,
  type AdamMomentsOptions,
  type AdamMomentsState,
  type RmsOptions,
  type TraceState,
} from './moments.js';
export { chain, partition, type ChainState, type PartitionState } from './combine.js';
export { graft, type GraftOptions, type GraftState, type GroupNorms } from './graft.js';
export {
  adagrad,
  adam,
  adamw,
  lamb,
  momentum,
  nesterov,
  rmsprop,
  scheduledSgd,
  sgd,
  type AdamOptions,
  type AdamWOptions,
  type ScheduledSgdOptions,
} from './alias.js';
export {
  constant,
  cosine,
  described,
  inverseSqrt,
  join,
  linear,
  linearWarmup,
  specOf,
  warmupThen,
  type BaseScheduleSpec,
  type DescribedSchedule,
  type ScheduleSpec,
} from './schedules.js';
export {
  baseSchedule,
  DECAYS,
  scheduleFromSpec,
  scheduleLength,
  stretchSchedule,
  stretchSpec,
  type BaseScheduleOptions,
} from './schedule-spec.js';
export {
  applyUpdates,
  assignUpdates,
  disposeState,
  disposeUpdates,
  optimizerStep,
  optimizerStepInPlace,
  stateBytes,
  stateTensors,
  type StepResult,
} from './state.js';
export { scaleByFactoredPreconditioner, type CoordinateFactors } from './precondition.js';
