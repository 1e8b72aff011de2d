/**
 * Which initial weights a run with a schedule starts from.
 *
 * A factored preconditioner (schedule/second-moments.ts) stores, per matrix W (r x c), row and column means of
 * Adam's second moment at the probe's end: R_i = mean_j v_ij and C_j = mean_i v_ij. Its rows and columns are
 * hidden units (and token ids, which token-remap.ts re-indexes). Which units carry large gradients after a short
 * probe is a property of the weights the probe started from, initValues(config, probe.seed): another seed draws
 * other weights, and the same factors then scale arbitrary units. Measured at mini (64 x 16, 2000 steps, Moby-Dick,
 * seed 1): the shipped seed-0 mini.graft closed 0.134 of the SGD-to-Adam gap from seed 1's weights, a schedule
 * probed on the same SOTU data from seed 1's weights 0.586 (one probed on Moby-Dick itself: 0.708).
 *
 * So a run with such a schedule starts, by default, from the weights the schedule was probed from: the same
 * seed draws the same weights when the model's parameter shapes (checked against the artifact already) and its
 * init std are the same. `--seed` still sets data order, masking and dropout; `--init-seed` chooses the weights.
 */
import type { BertConfig } from '../../model/config.js';
import { probeStartSeed, type Artifact } from '../../schedule/artifact.js';

/** The seed whose initial weights the schedule's per-unit factors describe, or undefined when no run can match them. */
export function scheduleInitSeed(artifact: Artifact | undefined, config: BertConfig): number | undefined {
  if (artifact === undefined) return undefined;
  if (artifact.model.config.initStd !== config.initStd) return undefined; // the same seed draws other weights
  return probeStartSeed(artifact);
}

export interface StartSeed {
  /** The seed of rng(seed, 'init') for the initial weights. */
  seed: number;
  /** One line for the user when the start differs from --seed, or from the schedule's probe. */
  notice?: string;
}

/**
 * The initialisation seed of a fresh run: `initSeed` when given, else the schedule's probe seed (scheduleInitSeed),
 * else `seed`. `fromWeights` names the file of exported starting weights when the run starts from those instead.
 */
export function startSeed(
  o: { seed: number; initSeed?: number; fromWeights?: string },
  artifact: Artifact | undefined,
  config: BertConfig,
): StartSeed {
  const probed = scheduleInitSeed(artifact, config);
  if (probed === undefined) return { seed: o.initSeed ?? o.seed };
  const factors = "the schedule's per-unit preconditioner factors";
  if (o.fromWeights !== undefined) {
    return {
      seed: o.seed,
      notice: `note: this run starts from ${o.fromWeights}, not from the seed-${probed} initialisation the schedule was probed from: ${factors} describe other weights and are applied as they are`,
    };
  }
  if (o.initSeed === undefined) {
    if (probed === o.seed) return { seed: probed };
    return {
      seed: probed,
      notice:
        `train: starting from the seed-${probed} initialisation the schedule was probed from (${factors} describe those weights); ` +
        `--seed ${o.seed} sets data order and masking; --init-seed ${o.seed} would start from seed ${o.seed}'s weights instead`,
    };
  }
  if (o.initSeed === probed) return { seed: probed };
  return {
    seed: o.initSeed,
    notice:
      `note: the schedule was probed from the seed-${probed} initialisation and this run starts from seed ${o.initSeed}'s: ` +
      `${factors} describe other weights and are applied as they are; --init-seed ${probed} starts from the schedule's`,
  };
}
