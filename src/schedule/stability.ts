/**
 * Stability rules applied to a compressed schedule before clamping (pure functions of the trace).
 *
 * Zero-gradient groups. Some groups have an analytically zero gradient: the attention key bias adds the
 * same number to every score of a query row, and softmax is invariant to that, so ||g[key.bias]|| is
 * float round-off (~1e-12) and its ratio c = ||u_Adam|| / (eta ||g||) is noise (1e7..1e8). Such a group
 * has no usable data. The test uses the per-coordinate gradient size
 *
 *   rms_G = median over the group's valid samples of ||g[G]|| / sqrt(size_G)
 *
 * and calls G zero-gradient if rms_G < zeroGradTol * (median over groups of rms_G).
 *
 * Stability cap. A static multiplier is the ratio measured while a group's gradient was small; if the
 * gradient later grows (attention query/key kernels start near zero gradient and their c is 1e5..1e8),
 * the fixed rate overshoots and training diverges or stalls. The cap limits every group to a multiple of
 * the typical multiplier:
 *
 *   c_G <= capRatio * median over groups with data of c_G(held)
 *
 * where c_G(held) is the group's multiplier after the probe horizon (its constant, or its last knot).
 * A capped knot schedule is scaled down as a whole, by the factor that brings its held value to the cap, so it
 * keeps its time profile (a factorized schedule's shared profile starts several times above its held value, while
 * the base lr is still warming up; capping each knot would flatten it). capRatio = Infinity turns the cap off.
 *
 * Step-norm schedules hold a step length m_G = ||u_Adam[G]|| / eta, which grows like sqrt(size_G) (Adam moves
 * every coordinate by about eta), so comparing raw m_G would cap the largest tensors for their size alone.
 * Their cap is on the per-coordinate step, the RMS of Adam's step per unit lr:
 *
 *   m_G / sqrt(size_G) <= capRatio * median over groups with data of m_G(held) / sqrt(size_G)
 *
 * i.e. capLogSchedules with lnUnit_G = ln sqrt(size_G). A multiplier c_G is already per coordinate (lnUnit 0).
 * compressTrace leaves it off by default; the recommended cap is 2 (RECOMMENDED_CAP_RATIO in compress.ts).
 *
 * Measured limits (capBy "curvature"). The probe measures, per group, the step length limit_G along plain SGD's
 * direction beyond which a step stops lowering the loss (src/run/probe/stability-limits.ts). Then the cap compares
 * each group's step with its own limit:
 *
 *   m_G / limit_G <= capRatio * median over groups with a finite limit of m_G(held) / limit_G
 *
 * (lnUnit_G = ln limit_G). For multipliers the step is c_G * eta * s_G, so lnUnit_G = ln(limit_G / s_G) = ln(2 / h_G).
 * Groups with no finite limit (no curvature seen) are left out of the median and never capped.
 */
import { median } from './fit.js';
import type { GroupSchedule } from './interpolate.js';
import type { Trace } from './trace.js';

/** Per group: true if its gradient is zero up to round-off (see the module comment). */
export function zeroGradientGroups(trace: Trace, zeroGradTol: number): boolean[] {
  const groups = trace.meta.model.groups,
    G = groups.length,
    n = trace.steps.length;
  const rms = groups.map((grp, g) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) if (trace.valid[i * G + g]) xs.push(trace.gradNorm[i * G + g] / Math.sqrt(grp.size));
    return xs.length > 0 ? median(xs) : null;
  });
  const known = rms.filter((r): r is number => r !== null);
  if (known.length === 0 || zeroGradTol <= 0) return groups.map(() => false);
  const typical = median(known);
  return rms.map((r) => r !== null && r < zeroGradTol * typical);
}

/** Per group (trace column order), measured at the end of the probe; see src/run/probe/stability-limits.ts. */
export interface StabilityLimits {
  /** Batches each value is averaged over. */
  batches: number;
  /** alpha_G: the step length the curvature was measured at. */
  stepLength: Float64Array;
  /** s_G: mean gradient norm of the group. */
  slope: Float64Array;
  /** h_G: mean curvature along the group's unit gradient direction. */
  curvature: Float64Array;
  /** 2 s_G / h_G; Infinity if h_G <= 0, NaN without data. */
  limit: Float64Array;
}

export type CapBasis = 'size' | 'curvature';
export const CAP_BASES: readonly CapBasis[] = ['size', 'curvature'];

/** True iff these compression options cap against measured limits, so the trace must carry them. */
export function capsByCurvature(o: { capRatio?: number; capBy?: CapBasis }): boolean {
  return (o.capRatio ?? 0) > 0 && o.capBy === 'curvature';
}

/**
 * lnUnit_G of capLogSchedules for a basis and target: "size" is ln sqrt(size_G) for step norms and 0 for
 * multipliers; "curvature" is ln limit_G (step norms) or ln(limit_G / s_G) (multipliers), non-finite where a
 * group has no finite limit.
 */
export function capUnits(trace: Trace, basis: CapBasis, target: 'multiplier' | 'stepNorm'): number[] {
  const groups = trace.meta.model.groups;
  if (basis === 'size') return groups.map((g) => (target === 'stepNorm' ? 0.5 * Math.log(g.size) : 0));
  const limits = trace.stability;
  if (!limits) {
    throw new Error(
      'capBy "curvature" needs the stability limits the probe measures at its end, which this trace lacks (traces before version 3 have none): re-run extract, or pass --cap-by size',
    );
  }
  return groups.map((_, g) => Math.log(target === 'stepNorm' ? limits.limit[g] : limits.limit[g] / limits.slope[g]));
}

/** The multiplier a schedule holds after the probe horizon, in ln units (constant or last knot). */
export function heldLog(s: GroupSchedule): number {
  return 'constant' in s ? s.constant : s.knots[s.knots.length - 1][1];
}

/**
 * Caps ln-multiplier schedules at lnUnit_G + ln(capRatio) + median over non-null groups of (heldLog - lnUnit)
 * (see the module comment; lnUnit defaults to 0 for every group). A group whose lnUnit is not finite is left out
 * of the median and never capped. Schedules here hold ln c (not c). Returns new schedules and the indices of
 * groups it changed.
 */
export function capLogSchedules(
  logs: (GroupSchedule | null)[],
  capRatio: number,
  lnUnit: readonly number[] = logs.map(() => 0),
): { logs: (GroupSchedule | null)[]; capped: number[] } {
  const perUnit = logs.flatMap((s, g) => (s && Number.isFinite(lnUnit[g]) ? [heldLog(s) - lnUnit[g]] : []));
  if (!Number.isFinite(capRatio) || perUnit.length === 0) return { logs, capped: [] };
  const typical = Math.log(capRatio) + median(perUnit);
  const capped: number[] = [];
  const out = logs.map((s, g) => {
    if (!s) return null;
    if (!Number.isFinite(lnUnit[g])) return s;
    const cap = typical + lnUnit[g];
    if ('constant' in s) {
      if (s.constant <= cap) return s;
      capped.push(g);
      return { constant: cap };
    }
    const excess = heldLog(s) - cap;
    if (excess <= 0) return s;
    capped.push(g);
    return { knots: s.knots.map(([x, y]) => [x, y - excess] as [number, number]) };
  });
  return { logs: out, capped };
}
