/**
 * Learning-rate schedules: functions of the 0-based step count t. Every schedule built here also
 * carries its description as plain data (`schedule.spec`), so it can be written into an artifact and
 * rebuilt with `scheduleFromSpec` (schedule-spec.ts). Past its last step a schedule holds its end value.
 */
import { checkRange, type Schedule } from './base.js';

/** A schedule as plain data. Step counts may be fractional after stretching. */
export type ScheduleSpec =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'linear'; readonly from: number; readonly to: number; readonly steps: number }
  | { readonly kind: 'cosine'; readonly from: number; readonly to: number; readonly steps: number }
  | { readonly kind: 'inverse-sqrt'; readonly peak: number; readonly timescale: number }
  | { readonly kind: 'warmup'; readonly peak: number; readonly steps: number }
  | { readonly kind: 'join'; readonly schedules: readonly ScheduleSpec[]; readonly boundaries: readonly number[] }
  | BaseScheduleSpec;

/** The base schedule of a run: linear warmup to peakLr, then a decay to endLr at totalSteps. */
export interface BaseScheduleSpec {
  readonly kind: 'base';
  readonly peakLr: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly decay: 'linear' | 'cosine' | 'constant' | 'inverse-sqrt';
  /** Value reached at totalSteps by linear and cosine decay (default 0). */
  readonly endLr: number;
}

/** A schedule that knows its own description. */
export type DescribedSchedule = Schedule & { readonly spec: ScheduleSpec };

/** Attaches a spec to a schedule function. */
export function described(fn: Schedule, spec: ScheduleSpec): DescribedSchedule {
  return Object.assign((step: number) => fn(step), { spec });
}

/** The plain-data description of a schedule, or undefined for a bare function. */
export function specOf(schedule: Schedule): ScheduleSpec | undefined {
  return (schedule as Partial<DescribedSchedule>).spec;
}

function requireSpec(schedule: Schedule, where: string): ScheduleSpec {
  const spec = specOf(schedule);
  if (!spec) throw new Error(`${where}: the schedule is a bare function; build it with the schedule constructors so it can be described`);
  return spec;
}

function checkFinite(op: string, name: string, value: number): void {
  checkRange(op, name, value, -Infinity, Infinity, '()');
}

/** f(t) = value. */
export function constant(value: number): DescribedSchedule {
  checkFinite('constant', 'value', value);
  return described(() => value, { kind: 'constant', value });
}

/** f(t) = from + (to - from) * min(t, steps) / steps. */
export function linear(from: number, to: number, steps: number): DescribedSchedule {
  checkFinite('linear', 'from', from);
  checkFinite('linear', 'to', to);
  checkRange('linear', 'steps', steps, 0, Infinity, '()');
  return described((t) => from + ((to - from) * Math.min(Math.max(t, 0), steps)) / steps, { kind: 'linear', from, to, steps });
}

/** f(t) = to + (from - to) * (1 + cos(pi * min(t, steps) / steps)) / 2. */
export function cosine(from: number, to: number, steps: number): DescribedSchedule {
  checkFinite('cosine', 'from', from);
  checkFinite('cosine', 'to', to);
  checkRange('cosine', 'steps', steps, 0, Infinity, '()');
  return described(
    (t) => {
      const progress = Math.min(Math.max(t, 0), steps) / steps;
      return to + ((from - to) * (1 + Math.cos(Math.PI * progress))) / 2;
    },
    { kind: 'cosine', from, to, steps },
  );
}

/** f(t) = peak * sqrt(timescale / (timescale + t)): peak at t = 0, halved at t = 3 * timescale. */
export function inverseSqrt(peak: number, timescale: number): DescribedSchedule {
  checkFinite('inverseSqrt', 'peak', peak);
  checkRange('inverseSqrt', 'timescale', timescale, 0, Infinity, '()');
  return described((t) => peak * Math.sqrt(timescale / (timescale + Math.max(t, 0))), { kind: 'inverse-sqrt', peak, timescale });
}

/**
 * Linear warmup: f(t) = peak * min(t + 1, steps) / steps, so the first step already moves
 * (f(0) = peak / steps) and f(steps - 1) = peak.
 */
export function linearWarmup(peak: number, steps: number): DescribedSchedule {
  checkFinite('linearWarmup', 'peak', peak);
  checkRange('linearWarmup', 'steps', steps, 0, Infinity, '()');
  return described((t) => (peak * Math.min(Math.max(t, 0) + 1, steps)) / steps, { kind: 'warmup', peak, steps });
}

/**
 * Piecewise: schedules[0] before boundaries[0], schedules[i] on [boundaries[i-1], boundaries[i]), each
 * evaluated at its local step t - boundaries[i-1]. boundaries must increase strictly and be > 0.
 */
export function join(schedules: readonly Schedule[], boundaries: readonly number[]): DescribedSchedule {
  if (schedules.length !== boundaries.length + 1) {
    throw new Error(
      `join: got ${schedules.length} schedules and ${boundaries.length} boundaries; expected exactly one boundary fewer than schedules`,
    );
  }
  boundaries.forEach((b, i) => checkRange('join', `boundaries[${i}]`, b, i === 0 ? 0 : boundaries[i - 1], Infinity, '()'));
  const specs = schedules.map((s) => requireSpec(s, 'join'));
  const fns = [...schedules];
  const starts = [0, ...boundaries];
  return described(
    (t) => {
      let i = 0;
      while (i < boundaries.length && t >= boundaries[i]) i++;
      return fns[i](t - starts[i]);
    },
    { kind: 'join', schedules: specs, boundaries: [...boundaries] },
  );
}

/** Linear warmup over warmupSteps up to after(0), then `after` (on its own local clock). */
export function warmupThen(warmupSteps: number, after: Schedule): DescribedSchedule {
  checkRange('warmupThen', 'warmupSteps', warmupSteps, 0, Infinity, '[)');
  if (warmupSteps === 0) return described(after, requireSpec(after, 'warmupThen'));
  return join([linearWarmup(after(0), warmupSteps), after], [warmupSteps]);
}
