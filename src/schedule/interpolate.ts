/**
 * Evaluating a schedule: the multiplier c_G at a fraction of training, and the function a scheduled
 * SGD optimizer calls, lr_G(step) = eta(step) * c_G(step / totalSteps).
 */
import type { ArtifactBody } from './artifact.js';

/**
 * One group's multiplier schedule. Knot times are fractions of the planned training length
 * (t / totalSteps), strictly increasing; multipliers are > 0.
 */
export type GroupSchedule = { constant: number } | { knots: [number, number][] };

/**
 * c_G(fraction). Constant: c. Knots: log-linear between neighbouring knots,
 *   ln c = (1 - w) ln c_k + w ln c_{k+1},  w = (f - f_k) / (f_{k+1} - f_k),
 * and held at the first/last knot's value outside the knot range.
 */
export function multiplierAt(s: GroupSchedule, fraction: number): number {
  if ('constant' in s) return s.constant;
  const k = s.knots;
  if (fraction <= k[0][0]) return k[0][1];
  if (fraction >= k[k.length - 1][0]) return k[k.length - 1][1];
  let i = 0;
  while (k[i + 1][0] < fraction) i++;
  const [f0, c0] = k[i];
  const [f1, c1] = k[i + 1];
  const w = (fraction - f0) / (f1 - f0);
  if (w === 1) return c1; // exactly on a knot: its value, without exp(ln) rounding
  return Math.exp((1 - w) * Math.log(c0) + w * Math.log(c1));
}

/**
 * (group, step) -> c_G(step / totalSteps) for a run of `totalSteps` steps: the artifact's schedule
 * stretched to this run's length. Throws for a group the artifact does not know.
 */
export function multiplierFn(
  artifact: { groups: Readonly<Record<string, GroupSchedule>> },
  totalSteps: number,
): (group: string, step: number) => number {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new Error(`totalSteps = ${totalSteps} is invalid: expected an integer >= 1 (the planned length of the run)`);
  }
  const schedules = new Map(Object.entries(artifact.groups));
  return (group, step) => {
    const s = schedules.get(group);
    if (!s) {
      throw new Error(
        `group "${group}" has no schedule in the artifact (it has ${schedules.size} groups): check that the model and grouping match the artifact`,
      );
    }
    return multiplierAt(s, step / totalSteps);
  };
}

/** Parameter name -> group name, as recorded in the artifact (for grouping a scheduled optimizer). */
export function artifactGroupOf(artifact: Pick<ArtifactBody, 'model'>): (paramName: string) => string {
  const map = new Map(artifact.model.params.map((p) => [p.name, p.group]));
  return (name) => {
    const g = map.get(name);
    if (g === undefined) throw new Error(`parameter "${name}" is not in the artifact's model: run checkArtifactMatchesModel first`);
    return g;
  };
}
