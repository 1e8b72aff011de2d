/**
 * The base schedule of a run, schedules as plain data, and stretching a schedule to another length
 * (phase two runs the probe's base-schedule shape over its own number of steps).
 */
import { checkInt } from '../core/options/validate.js';
import { checkRange } from './base.js';
import {
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
import type { Schedule } from './base.js';

export const DECAYS = ['linear', 'cosine', 'constant', 'inverse-sqrt'] as const;

export interface BaseScheduleOptions {
  peakLr: number;
  /** Linear warmup steps (default 0): f(t) = peakLr * (t + 1) / warmupSteps for t < warmupSteps. */
  warmupSteps?: number;
  totalSteps: number;
  /** Shape after warmup (default 'linear'). */
  decay?: BaseScheduleSpec['decay'];
  /** Value reached at totalSteps by linear and cosine decay (default 0). */
  endLr?: number;
}

/**
 * Warmup to peakLr over warmupSteps, then with s = t - warmupSteps and D = totalSteps - warmupSteps:
 *   linear:       peak + (end - peak) * min(s, D) / D
 *   cosine:       end + (peak - end) * (1 + cos(pi * min(s, D) / D)) / 2
 *   constant:     peak
 *   inverse-sqrt: peak * sqrt(W / (W + s)), W = max(warmupSteps, 1)  (= peak * sqrt(W / t) after warmup)
 */
export function baseSchedule(options: BaseScheduleOptions): DescribedSchedule {
  const { peakLr, totalSteps, warmupSteps = 0, decay = 'linear', endLr = 0 } = options;
  checkRange('baseSchedule', 'peakLr', peakLr, 0, Infinity, '()');
  checkInt('baseSchedule', 'totalSteps', totalSteps, 1);
  checkInt('baseSchedule', 'warmupSteps', warmupSteps, 0, totalSteps);
  checkRange('baseSchedule', 'endLr', endLr, 0, peakLr, '[]');
  if (!DECAYS.includes(decay)) throw new Error(`baseSchedule: decay = "${decay}" is invalid: expected one of ${DECAYS.join(', ')}`);
  const D = Math.max(totalSteps - warmupSteps, 1);
  const after =
    decay === 'linear'
      ? linear(peakLr, endLr, D)
      : decay === 'cosine'
        ? cosine(peakLr, endLr, D)
        : decay === 'constant'
          ? constant(peakLr)
          : inverseSqrt(peakLr, Math.max(warmupSteps, 1));
  const spec: BaseScheduleSpec = { kind: 'base', peakLr, warmupSteps, totalSteps, decay, endLr };
  return described(warmupThen(warmupSteps, after), spec);
}

/** Rebuilds a schedule from its plain-data description, validating every field. */
export function scheduleFromSpec(spec: ScheduleSpec): DescribedSchedule {
  if (spec === null || typeof spec !== 'object') throw new Error(`scheduleFromSpec: expected a schedule spec object, got ${String(spec)}`);
  switch (spec.kind) {
    case 'constant':
      return constant(spec.value);
    case 'linear':
      return linear(spec.from, spec.to, spec.steps);
    case 'cosine':
      return cosine(spec.from, spec.to, spec.steps);
    case 'inverse-sqrt':
      return inverseSqrt(spec.peak, spec.timescale);
    case 'warmup':
      return linearWarmup(spec.peak, spec.steps);
    case 'join':
      if (!Array.isArray(spec.schedules) || !Array.isArray(spec.boundaries))
        throw new Error('scheduleFromSpec: a join needs arrays "schedules" and "boundaries"');
      return join(spec.schedules.map(scheduleFromSpec), spec.boundaries);
    case 'base':
      return baseSchedule(spec);
    default:
      throw new Error(
        `scheduleFromSpec: kind = "${(spec as { kind?: unknown }).kind}" is unknown: expected constant, linear, cosine, inverse-sqrt, warmup, join or base`,
      );
  }
}

/** Steps until the schedule reaches its final shape: Infinity for inverse-sqrt, 0 for constant. */
export function scheduleLength(spec: ScheduleSpec): number {
  switch (spec.kind) {
    case 'constant':
      return 0;
    case 'linear':
    case 'cosine':
    case 'warmup':
      return spec.steps;
    case 'inverse-sqrt':
      return Infinity;
    case 'join':
      return spec.boundaries[spec.boundaries.length - 1] + scheduleLength(spec.schedules[spec.schedules.length - 1]);
    case 'base':
      return spec.totalSteps;
  }
}

/** Every step quantity multiplied by `factor` (> 0); base schedules keep integer steps (rounded). */
export function stretchSpec(spec: ScheduleSpec, factor: number): ScheduleSpec {
  checkRange('stretchSpec', 'factor', factor, 0, Infinity, '()');
  switch (spec.kind) {
    case 'constant':
      return spec;
    case 'linear':
    case 'cosine':
    case 'warmup':
      return { ...spec, steps: spec.steps * factor };
    case 'inverse-sqrt':
      return { ...spec, timescale: spec.timescale * factor };
    case 'join':
      return { ...spec, schedules: spec.schedules.map((s) => stretchSpec(s, factor)), boundaries: spec.boundaries.map((b) => b * factor) };
    case 'base': {
      const totalSteps = Math.max(1, Math.round(spec.totalSteps * factor));
      return { ...spec, totalSteps, warmupSteps: Math.min(totalSteps, Math.round(spec.warmupSteps * factor)) };
    }
  }
}

/**
 * The same schedule shape over `totalSteps` steps. Base schedules scale their warmup with the total
 * unless keepWarmup (then only the decay part is stretched). Other schedules are stretched by
 * totalSteps / scheduleLength; one without a finite, nonzero length must use stretchSpec(spec, factor).
 */
export function stretchSchedule(
  schedule: Schedule | ScheduleSpec,
  totalSteps: number,
  options: { keepWarmup?: boolean } = {},
): DescribedSchedule {
  const spec = typeof schedule === 'function' ? specOf(schedule) : schedule;
  if (!spec) throw new Error('stretchSchedule: the schedule is a bare function; build it with the schedule constructors or pass its spec');
  checkRange('stretchSchedule', 'totalSteps', totalSteps, 0, Infinity, '()');
  if (spec.kind === 'base') {
    const warmupSteps = options.keepWarmup
      ? Math.min(spec.warmupSteps, totalSteps)
      : Math.min(totalSteps, Math.round((spec.warmupSteps * totalSteps) / spec.totalSteps));
    return baseSchedule({ ...spec, totalSteps, warmupSteps });
  }
  if (options.keepWarmup) throw new Error(`stretchSchedule: keepWarmup applies to base schedules only, got kind "${spec.kind}"`);
  const length = scheduleLength(spec);
  if (!(length > 0 && Number.isFinite(length))) {
    throw new Error(
      `stretchSchedule: a "${spec.kind}" schedule has length ${length}, so no factor maps it to ${totalSteps} steps; use stretchSpec(spec, factor)`,
    );
  }
  return scheduleFromSpec(stretchSpec(spec, totalSteps / length));
}
