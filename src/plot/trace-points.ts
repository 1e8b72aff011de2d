/**
 * The faded probe trace in a schedule plot, in the same quantity as the artifact's schedule
 * (its target, src/schedule/rule.ts):
 *
 *   multiplier: c_G(t) = ||u_Adam[G]|| / (eta(t) ||g[G]||)   the artifact's own downsampled trace holds it
 *   stepNorm:   m_G(t) = ||u_Adam[G]|| / eta(t)              only the probe's raw trace (.trace file) holds
 *                                                             ||u_Adam[G]|| and eta(t), so it needs that file
 *
 * Drawing c beside a schedule of m would put two different quantities on one axis (a key bias trace at
 * 1e7 beside its schedule at 1.5). Traces are thinned to at most MAX_TRACE_POINTS points per group: a
 * panel is about 250 pixels wide, and 100,000 points made a 33 MB SVG.
 */
import type { ArtifactBody } from '../schedule/artifact.js';
import { scheduleTarget, type ScheduleTarget } from '../schedule/rule.js';
import type { Trace } from '../schedule/trace.js';

export const MAX_TRACE_POINTS = 500;

export type Points = [number, number][];

/**
 * At most `maxPoints` points: consecutive runs of k = ceil(n / maxPoints) points become one, at their mean
 * x and at exp(median ln y) of their positive finite ys (NaN, a gap, if none); fewer points come back as they are.
 */
export function thinPoints(points: Points, maxPoints = MAX_TRACE_POINTS): Points {
  const k = Math.ceil(points.length / maxPoints);
  if (k <= 1) return points;
  const out: Points = [];
  for (let lo = 0; lo < points.length; lo += k) {
    const run = points.slice(lo, lo + k);
    const logs = run
      .map((p) => p[1])
      .filter((y) => Number.isFinite(y) && y > 0)
      .map(Math.log)
      .sort((a, b) => a - b);
    const mid = logs.length >> 1;
    const median = logs.length === 0 ? NaN : logs.length % 2 ? logs[mid] : (logs[mid - 1] + logs[mid]) / 2;
    out.push([run.reduce((s, p) => s + p[0], 0) / run.length, Math.exp(median)]);
  }
  return out;
}

export interface TracePoints {
  /** The quantity of both the schedule and the trace. */
  quantity: ScheduleTarget;
  /** Per group (model.groups order) its trace points, or null when no trace in this quantity is at hand. */
  perGroup: Points[] | null;
  /** Why no trace is drawn, when perGroup is null and the artifact has some trace. */
  missing?: string;
}

/**
 * The trace points of every group in the artifact's own quantity. `raw` is the probe's trace file, needed
 * for a step-norm artifact; it must describe the same groups. Throws if it does not.
 */
export function tracePoints(a: ArtifactBody, raw?: Trace): TracePoints {
  const quantity = scheduleTarget(a);
  const names = a.model.groups.map((g) => g.name);
  const G = names.length;
  if (raw !== undefined) {
    const rawNames = raw.meta.model.groups.map((g) => g.name);
    if (rawNames.length !== G || rawNames.some((n, g) => n !== names[g])) {
      throw new Error(
        `the probe trace has ${rawNames.length} groups that are not the artifact's ${G}: pass the .trace file written with this artifact`,
      );
    }
    const total = raw.meta.probe.totalSteps;
    const value = (i: number, g: number) =>
      !raw.valid[i * G + g] ? NaN : quantity === 'stepNorm' ? raw.uAdamNorm[i * G + g] / raw.eta[i] : raw.c[i * G + g];
    const perGroup = names.map((_, g) => thinPoints(Array.from(raw.steps, (step, i) => [step / total, value(i, g)] as [number, number])));
    return { quantity, perGroup };
  }
  const t = a.trace;
  if (!t) return { quantity, perGroup: null };
  if (quantity === 'stepNorm') {
    return {
      quantity,
      perGroup: null,
      missing: 'probe trace not drawn: the artifact keeps it as multipliers c, not step norms (inspect --trace <file.trace> draws it)',
    };
  }
  return { quantity, perGroup: names.map((_, g) => thinPoints(Array.from(t.fraction, (f, j) => [f, t.c[j * G + g]] as [number, number]))) };
}
