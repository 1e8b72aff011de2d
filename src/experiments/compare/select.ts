/**
 * Which setting of a method wins its sweep: the lowest mean in-domain held-out loss over the tuning seeds
 * (a failed run counts as +Infinity, so a setting that failed on any tuning seed never wins unless all did).
 */
import type { CompareRun, Family } from './run.js';

/** Held-out loss used to pick the best of a sweep (NaN or missing counts as worst). */
export function selectionLoss(r: CompareRun): number {
  const l = r.summary.heldout?.loss;
  return l === undefined || !Number.isFinite(l) ? Infinity : l;
}

/** Families whose runs hold no optimizer state beyond step counts. */
export const STATELESS: Record<Family, boolean> = { adam: false, sgd: true, graft: false, static: true, hybrid: false };

/** A method: a family, and for static and hybrid the schedule variant. */
export function methodKey(family: Family, variant?: string | null): string {
  return variant ? `${family} ${variant}` : family;
}

/**
 * The winning setting among `runs` (one method's runs): settings are compared by their mean selection
 * loss over the runs of `seeds`; ties go to the setting listed first. Undefined when no run is on those seeds.
 */
export function chooseSetting(runs: readonly CompareRun[], seeds: readonly number[]): number | undefined {
  const bySetting = new Map<number, number[]>();
  for (const r of runs) {
    if (!seeds.includes(r.seed)) continue;
    const losses = bySetting.get(r.setting) ?? [];
    losses.push(selectionLoss(r));
    bySetting.set(r.setting, losses);
  }
  let best: number | undefined;
  let bestLoss = Infinity;
  for (const [setting, losses] of bySetting) {
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    if (best === undefined || mean < bestLoss) {
      best = setting;
      bestLoss = mean;
    }
  }
  return best;
}

/** The run with the lowest selection loss (first on ties), or undefined for none. */
export function bestRun<T extends CompareRun>(runs: readonly T[]): T | undefined {
  return runs.length === 0 ? undefined : runs.reduce((a, b) => (selectionLoss(b) < selectionLoss(a) ? b : a));
}
