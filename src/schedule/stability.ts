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
 * For knot schedules every knot is capped. capRatio = Infinity turns the cap off.
 *
 * Step-norm schedules hold a step length m_G = ||u_Adam[G]|| / eta, which grows like sqrt(size_G) (Adam moves
 * every coordinate by about eta), so comparing raw m_G would cap the largest tensors for their size alone.
 * Their cap is on the per-coordinate step, the RMS of Adam's step per unit lr:
 *
 *   m_G / sqrt(size_G) <= capRatio * median over groups with data of m_G(held) / sqrt(size_G)
 *
 * i.e. capLogSchedules with lnUnit_G = ln sqrt(size_G). A multiplier c_G is already per coordinate (lnUnit 0).
 * The cap is off by default; at 2 it was measured against no cap at the quickstart's shape (artifacts/README.md).
 */
import { median } from './fit.js';
import type { GroupSchedule } from './interpolate.js';
import type { Trace } from './trace.js';

/** Per group: true if its gradient is zero up to round-off (see the module comment). */
export function zeroGradientGroups(trace: Trace, zeroGradTol: number): boolean[] {
  const groups = trace.meta.model.groups, G = groups.length, n = trace.steps.length;
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

/** The multiplier a schedule holds after the probe horizon, in ln units (constant or last knot). */
export function heldLog(s: GroupSchedule): number {
  return 'constant' in s ? s.constant : s.knots[s.knots.length - 1][1];
}

/**
 * Caps ln-multiplier schedules at lnUnit_G + ln(capRatio) + median over non-null groups of (heldLog - lnUnit)
 * (see the module comment; lnUnit defaults to 0 for every group). Schedules here hold ln c (not c). Returns new
 * schedules and the indices of groups it changed.
 */
export function capLogSchedules(
  logs: (GroupSchedule | null)[], capRatio: number, lnUnit: readonly number[] = logs.map(() => 0),
): { logs: (GroupSchedule | null)[]; capped: number[] } {
  const perUnit = logs.flatMap((s, g) => (s ? [heldLog(s) - lnUnit[g]] : []));
  if (!Number.isFinite(capRatio) || perUnit.length === 0) return { logs, capped: [] };
  const typical = Math.log(capRatio) + median(perUnit);
  const capped: number[] = [];
  const out = logs.map((s, g) => {
    if (!s) return null;
    const cap = typical + lnUnit[g];
    if ('constant' in s) {
      if (s.constant <= cap) return s;
      capped.push(g);
      return { constant: cap };
    }
    if (s.knots.every(([, y]) => y <= cap)) return s;
    capped.push(g);
    return { knots: s.knots.map(([x, y]) => [x, Math.min(y, cap)] as [number, number]) };
  });
  return { logs: out, capped };
}
