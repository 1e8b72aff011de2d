/**
 * Options of `graftlr compare`: the same data, seed, step budget and base-schedule shape for every method;
 * a small learning-rate sweep for each baseline, and the same-sized sweep (a global scale on the
 * multipliers) for static SGD. The knobs that decide whether a static schedule works are lists, so one
 * call can rank several variants.
 */
import { PRECONDITIONER_KINDS, RECOMMENDED_CAP_RATIO, RECOMMENDED_METHOD, RECOMMENDED_PRECONDITIONER, RECOMMENDED_PRECONDITIONER_EPS, RECOMMENDED_TARGET, type CompressMethod, type CompressTarget, type PreconditionerKind } from '../schedule/compress.js';
import type { GroupingName } from '../model/groups.js';
import { isMagnitude, MAGNITUDES, type Magnitude } from '../engine/ort/host-factored.js';
import { CAP_BASES, type CapBasis } from '../schedule/stability.js';
import { checkInt, checkNumber, stripUndefined, validateRunOptions, type Decay, type RunOptions } from '../train/options.js';

export interface CompareOptions extends RunOptions {
  /** Training steps of every run. */
  steps: number;
  /** Warmup fraction and decay of the base schedule, shared by all methods. */
  warmup: number;
  decay: Decay;
  /** Peak learning rates tried for Adam (the best also drives the graft and the probe). */
  adamLrs: number[];
  /** Peak learning rates tried for plain SGD. */
  sgdLrs: number[];
  /** Global scales on the static multipliers tried for each static variant. */
  staticScales: number[];
  /** Probe lengths as fractions of `steps`. */
  probeFractions: number[];
  /** Parameter groupings of the schedule. */
  groupings: GroupingName[];
  /** The probe's magnitudes (src/engine/ort/host-factored.ts; default [adam]). */
  magnitudes?: Magnitude[];
  /** Proxy depths probed (encoder layers of the proxy; 0: the model itself; default [0]). */
  proxyLayers?: number[];
  /** Compression methods. */
  methods: CompressMethod[];
  /** Transient windows skipped by the compression. */
  skipFractions: number[];
  /** What the schedule holds: per-group SGD multipliers, or step norms applied to normalised gradients. */
  targets: CompressTarget[];
  /**
   * Fixed per-coordinate preconditioners tried: none, or factored (Adam's second moments at the probe end,
   * row/column factors; step-norm targets only, so a multiplier target pairs with none alone).
   */
  preconditioners: PreconditionerKind[];
  /** eps ratios tried for the factored preconditioner (eps_T / sqrt(typical v of T); each in (0, 100]). */
  preconditionerEps: number[];
  /** Stability caps tried (multiples of the median group multiplier, or per-coordinate step for step norms; 0 = no cap). */
  capRatios: number[];
  /** What each cap compares (stability.ts): size (default) and/or curvature (the probe's measured limits). */
  capBases?: CapBasis[];
  /** Relative gradient RMS below which a group counts as zero-gradient (no data). */
  zeroGradTol: number;
  /** Reuse runs already finished in outDir with identical options (each run caches its result there). */
  reuse: boolean;
  /** Clamp range of the multipliers. */
  maxMultiplier: number;
  minMultiplier: number;
  /** Evaluate held-out loss this many times per run (for the curves). */
  evalPoints: number;
  /** Include online Adam#SGD (the graft itself) as a reference. */
  includeGraft: boolean;
  /**
   * Seeds of every method (default: [seed]). Each seed probes its own schedule (a static run of seed k uses
   * the schedule probed with seed k) and trains its own model; the report gives mean and sd over seeds.
   */
  seeds: number[];
  /**
   * true (default): the sweeps (Adam lrs, SGD lrs, static scales) run on the first seed only, and the best
   * setting of each method (by in-domain held-out loss) runs on the other seeds. false: every seed sweeps.
   */
  tuneSeedOnly: boolean;
  /** Include the hybrid (Adam state for LayerNorm and biases, static elsewhere; NOT stateless) at the best static scale. */
  includeHybrid: boolean;
  /** Peak Adam rate of the hybrid's stateful tensors (default: the best Adam lr of the sweep). */
  hybridAdamLr?: number;
  /** Folder of the report and of every run. */
  outDir: string;
}

export const COMPARE_DEFAULTS = {
  steps: 300, warmup: 0.05, decay: 'linear' as Decay,
  adamLrs: [1e-3, 2e-3, 4e-3], sgdLrs: [0.125, 0.25, 0.5], staticScales: [2, 4, 8],
  probeFractions: [0.1], groupings: ['tensor'] as GroupingName[], methods: [RECOMMENDED_METHOD] as CompressMethod[],
  skipFractions: [0.2], targets: [RECOMMENDED_TARGET] as CompressTarget[], preconditioners: [RECOMMENDED_PRECONDITIONER] as PreconditionerKind[], preconditionerEps: [RECOMMENDED_PRECONDITIONER_EPS], capRatios: [RECOMMENDED_CAP_RATIO], zeroGradTol: 1e-6, reuse: false, maxMultiplier: 1e4, minMultiplier: 1e-3, evalPoints: 5, includeGraft: true,
  tuneSeedOnly: true, includeHybrid: true,
  outDir: 'runs/compare-tiny',
};

function checkList(name: string, xs: unknown, lo: number, hi: number): void {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`compare: ${name} must list at least one value`);
  for (const x of xs) checkNumber('compare', name, x, lo, hi);
}

export function validateCompareOptions(options: Partial<CompareOptions>): CompareOptions {
  const base = validateRunOptions('compare', options);
  const o = { ...COMPARE_DEFAULTS, ...stripUndefined(options), ...base } as CompareOptions;
  checkInt('compare', 'steps', o.steps, 2);
  checkList('adamLrs', o.adamLrs, 0, 1);
  checkList('sgdLrs', o.sgdLrs, 0, 1e4);
  checkList('staticScales', o.staticScales, 0, 1e4);
  checkList('probeFractions', o.probeFractions, 0, 1);
  checkList('skipFractions', o.skipFractions.map((x) => x + 1e-9), 0, 0.99);
  if (!Array.isArray(o.capRatios) || o.capRatios.length === 0) throw new Error('compare: capRatios must list at least one value');
  if (o.capBases !== undefined && (o.capBases.length === 0 || o.capBases.some((b) => !CAP_BASES.includes(b)))) {
    throw new Error(`compare: capBases = ${JSON.stringify(o.capBases)} is invalid: expected a list of size, curvature`);
  }
  for (const c of o.capRatios) if (!(c === 0 || (c >= 1 && Number.isFinite(c)))) throw new Error(`compare: capRatios value ${c} is invalid: expected 0 (off) or a number >= 1`);
  checkNumber('compare', 'zeroGradTol', o.zeroGradTol, 0, 0.99, true);
  if (o.targets.length === 0 || o.targets.some((t) => t !== 'multiplier' && t !== 'stepNorm')) {
    throw new Error(`compare: targets = ${JSON.stringify(o.targets)} is invalid: expected a list of multiplier, stepNorm`);
  }
  if (!Array.isArray(o.preconditioners) || o.preconditioners.length === 0 || o.preconditioners.some((p) => !PRECONDITIONER_KINDS.includes(p))) {
    throw new Error(`compare: preconditioners = ${JSON.stringify(o.preconditioners)} is invalid: expected a list of ${PRECONDITIONER_KINDS.join(', ')}`);
  }
  checkList('preconditionerEps', o.preconditionerEps, Number.MIN_VALUE, 100);
  if (o.magnitudes !== undefined && (o.magnitudes.length === 0 || o.magnitudes.some((m) => !isMagnitude(m)))) {
    throw new Error(`compare: magnitudes = ${JSON.stringify(o.magnitudes)} is invalid: expected a list of ${MAGNITUDES.join(', ')}`);
  }
  if (o.proxyLayers !== undefined) {
    if (o.proxyLayers.length === 0) throw new Error('compare: proxyLayers must list at least one value');
    for (const n of o.proxyLayers) checkInt('compare', 'proxyLayers value', n, 0);
  }
  if (o.groupings.length === 0 || o.methods.length === 0) throw new Error('compare: groupings and methods must list at least one value');
  checkInt('compare', 'evalPoints', o.evalPoints, 1, o.steps);
  o.seeds = o.seeds ?? [o.seed];
  if (!Array.isArray(o.seeds) || o.seeds.length === 0) throw new Error('compare: seeds must list at least one seed');
  for (const seed of o.seeds) checkInt('compare', 'seeds value', seed, 0);
  if (new Set(o.seeds).size !== o.seeds.length) throw new Error(`compare: seeds ${o.seeds.join(',')} repeat a seed: list each seed once`);
  if (o.hybridAdamLr !== undefined) checkNumber('compare', 'hybridAdamLr', o.hybridAdamLr, 0, 1);
  return o;
}
