/**
 * Options of `graftlr compare`: the same data, seed, step budget and base-schedule shape for every method;
 * a small learning-rate sweep for each baseline, and the same-sized sweep (a global scale on the
 * multipliers) for static SGD. The knobs that decide whether a static schedule works are lists, so one
 * call can rank several variants.
 */
import * as path from 'node:path';
import { COMPRESS_SCHEMA } from '../../schedule/compress-schema.js';
import { groupingNames, type GroupingName } from '../../model/groups.js';
import { DECAYS } from '../../optim/schedule-spec.js';
import { MAGNITUDES, type Magnitude } from '../../engine/ort/host-factored.js';
import { applySchema, defaultsOf, type OptionSchema } from '../../core/options/schema.js';
import { checkInt, checkList } from '../../core/options/validate.js';
import {
  COMPRESS_METHODS,
  COMPRESS_TARGETS,
  PRECONDITIONER_KINDS,
  RECOMMENDED_CAP_RATIO,
  RECOMMENDED_METHOD,
  RECOMMENDED_PRECONDITIONER,
  RECOMMENDED_PRECONDITIONER_EPS,
  RECOMMENDED_TARGET,
  type CompressMethod,
  type CompressTarget,
  type PreconditionerKind,
} from '../../schedule/compress.js';
import { CAP_BASES, type CapBasis } from '../../schedule/stability.js';
import { validateRunOptions, type Decay, type RunOptions } from '../../run/train/options.js';

/** Where a factored schedule file's runs start (compare --file-starts). */
export const FILE_STARTS = ['probe', 'seed'] as const;
export type FileStart = (typeof FILE_STARTS)[number];

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
  /** The probe's magnitudes (src/engine/ort/host-factored.ts; default [adam], the full-Adam reference). */
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
   * Schedules made elsewhere (e.g. a shipped artifact probed on another corpus): each file is a static variant
   * named "file-<file name without .graft>", swept over staticScales like the probed ones, the same file on every seed.
   */
  scheduleFiles?: string[];
  /**
   * Where a factored schedule file's runs start (train/start-weights.ts): 'probe', the weights its probe started from
   * (train's default), and/or 'seed', the run's own seed's weights (variant "file-<name>-own-init"). Default ['probe'].
   */
  fileStarts: FileStart[];
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

const positiveUpTo = (hi: number) => ({ lo: 0, loOpen: true, hi });

/** Defaults, limits and help of the options `compare` adds to RunOptions (its flags come from here). */
export const COMPARE_SCHEMA: OptionSchema = {
  steps: { kind: 'int', flag: 'steps', lo: 2, default: 300, help: 'training steps of every run' },
  warmup: {
    kind: 'number',
    flag: 'warmup',
    lo: 0,
    hi: 1,
    hiOpen: true,
    default: 0.05,
    help: 'base schedule warmup fraction (all methods)',
  },
  decay: { kind: 'enum', flag: 'decay', choices: DECAYS, default: 'linear', help: 'base schedule after warmup' },
  adamLrs: { kind: 'numbers', flag: 'adam-lrs', ...positiveUpTo(1), default: [1e-3, 2e-3, 4e-3], help: 'Adam peak learning rates swept' },
  sgdLrs: {
    kind: 'numbers',
    flag: 'sgd-lrs',
    ...positiveUpTo(1e4),
    default: [0.125, 0.25, 0.5],
    help: 'plain SGD peak learning rates swept',
  },
  staticScales: {
    kind: 'numbers',
    flag: 'static-scales',
    ...positiveUpTo(1e4),
    default: [2, 4, 8],
    help: 'global scales on the static multipliers swept',
  },
  probeFractions: {
    kind: 'numbers',
    flag: 'probe-fractions',
    ...positiveUpTo(1),
    default: [0.1],
    help: 'probe lengths, as fractions of --steps',
  },
  groupings: { kind: 'enums', flag: 'groupings', choices: groupingNames, default: ['tensor'], help: 'schedule groupings' },
  magnitudes: {
    kind: 'enums',
    flag: 'magnitudes',
    choices: MAGNITUDES,
    default: ['adam'],
    help: "the probe's magnitudes: adam, factored-adam (v as row/column statistics), factored-adam-bf16 (and m in bfloat16), factored-rms (no first moment); variants named -<magnitude>; the default is the full-Adam reference (extract's default is factored-adam-bf16)",
  },
  proxyLayers: {
    kind: 'ints',
    flag: 'proxy-layers',
    lo: 0,
    default: [0],
    help: 'probe shallower copies of the model with these many encoder layers (0: the model itself); variants named -proxy<N>',
  },
  methods: { kind: 'enums', flag: 'methods', choices: COMPRESS_METHODS, default: [RECOMMENDED_METHOD], help: 'compression methods' },
  skipFractions: {
    kind: 'numbers',
    flag: 'skip-fractions',
    lo: 0,
    hi: 1,
    hiOpen: true,
    default: [0.2],
    help: 'transient share of the probe skipped by compression',
  },
  targets: {
    kind: 'enums',
    flag: 'targets',
    choices: COMPRESS_TARGETS,
    default: [RECOMMENDED_TARGET],
    help: 'schedule targets: multiplier (per-group SGD rates), stepNorm (step lengths on normalised gradients)',
  },
  preconditioners: {
    kind: 'enums',
    flag: 'preconditioners',
    choices: PRECONDITIONER_KINDS,
    default: [RECOMMENDED_PRECONDITIONER],
    help: "fixed per-coordinate preconditioners: none, factored (Adam's second moments at the probe end as row/column factors; step-norm targets only)",
  },
  preconditionerEps: {
    kind: 'numbers',
    flag: 'preconditioner-eps',
    ...positiveUpTo(100),
    default: [RECOMMENDED_PRECONDITIONER_EPS],
    help: "factored: eps ratios swept (eps per tensor as a share of sqrt(its typical v~); caps P at 1/ratio times the typical coordinate's)",
  },
  capRatios: {
    kind: 'numbers',
    flag: 'cap-ratios',
    lo: 0,
    default: [RECOMMENDED_CAP_RATIO],
    help: 'stability caps swept: no group above this multiple of the median group multiplier (step norms: of the median per-coordinate step m/sqrt(size)); 0: off, else >= 1',
    check: (who, name, v) =>
      checkList(who, name, v, (c) => {
        if (!(c === 0 || (typeof c === 'number' && c >= 1 && Number.isFinite(c)))) {
          throw new Error(`${who}: ${name} value ${String(c)} is invalid: expected 0 (off) or a number >= 1`);
        }
      }),
  },
  capBases: {
    kind: 'enums',
    flag: 'cap-by',
    choices: CAP_BASES,
    default: ['size'],
    help: 'what each cap compares: size (the per-coordinate step, or the multiplier), curvature (the step over the stability limit the probe measures at its end; variants named -curvcap<r>)',
  },
  zeroGradTol: COMPRESS_SCHEMA.zeroGradTol, // the same knob, applied to every variant
  reuse: {
    kind: 'boolean',
    flag: 'reuse',
    default: false,
    help: 'reuse runs already in --out with identical options, finished or diverged (add variants without rerunning baselines)',
  },
  maxMultiplier: { kind: 'number', flag: 'max-multiplier', lo: 0, loOpen: true, default: 1e4, help: 'clamp multipliers from above' },
  minMultiplier: { kind: 'number', flag: 'min-multiplier', lo: 0, loOpen: true, default: 1e-3, help: 'clamp multipliers from below' },
  evalPoints: { kind: 'int', flag: 'eval-points', lo: 1, default: 5, help: 'held-out evaluations per run (at most --steps)' },
  includeGraft: { kind: 'boolean', flag: 'graft', default: true, help: 'include online Adam#SGD (--no-graft to skip)' },
  scheduleFiles: {
    kind: 'strings',
    flag: 'schedule-files',
    help: 'schedule artifacts made elsewhere (e.g. artifacts/tiny.graft on another corpus), each a static variant "file-<name>" swept over --static-scales, the same file on every seed',
  },
  fileStarts: {
    kind: 'enums',
    flag: 'file-starts',
    choices: FILE_STARTS,
    default: ['probe'],
    help: "where a factored schedule file's runs start: probe (the weights its probe started from, train's default) and/or seed (each run's own seed's weights, variant file-<name>-own-init)",
  },
  seeds: {
    kind: 'ints',
    flag: 'seeds',
    lo: 0,
    hi: 0xffffffff,
    help: 'seeds of every method, e.g. 0,1,2 (default: --seed); the report gives mean ± sd over them',
  },
  tuneSeedOnly: {
    kind: 'boolean',
    flag: 'tune-seed-only',
    default: true,
    help: "sweep on the first seed only, then run each method's best setting on the other seeds (--no-tune-seed-only: every seed sweeps)",
  },
  includeHybrid: {
    kind: 'boolean',
    flag: 'include-hybrid',
    default: true,
    help: 'include the hybrid reference (Adam state for LayerNorm and biases, NOT stateless) at the best static scale (--no-include-hybrid to skip)',
  },
  hybridAdamLr: {
    kind: 'number',
    flag: 'hybrid-adam-lr',
    ...positiveUpTo(1),
    help: "peak Adam rate of the hybrid's LayerNorm and bias tensors (default: the best Adam lr of the sweep)",
  },
  outDir: { kind: 'string', default: 'runs/compare-tiny', help: 'folder of the report and of every run' },
};

/** The defaults of every compare option (RunOptions' included). */
export const COMPARE_DEFAULTS = defaultsOf(COMPARE_SCHEMA) as Omit<CompareOptions, keyof RunOptions | 'seeds'>;

export function validateCompareOptions(options: Partial<CompareOptions>): CompareOptions {
  const who = 'compare';
  const base = validateRunOptions(who, options);
  const o = { ...applySchema<CompareOptions>(who, COMPARE_SCHEMA, options), ...base };
  checkInt(who, 'evalPoints', o.evalPoints, 1, o.steps);
  o.seeds = o.seeds ?? [o.seed];
  if (new Set(o.seeds).size !== o.seeds.length) throw new Error(`compare: seeds ${o.seeds.join(',')} repeat a seed: list each seed once`);
  const fileNames = (o.scheduleFiles ?? []).map(scheduleFileVariant);
  const repeated = fileNames.find((n, i) => fileNames.indexOf(n) !== i);
  if (repeated) throw new Error(`compare: scheduleFiles name the variant ${repeated} twice: give the files distinct names`);
  return o;
}

/** The variant name of a schedule file: "file-" and its name without the folder and the .graft suffix. */
export function scheduleFileVariant(file: string): string {
  return `file-${path.basename(file).replace(/\.graft$/, '')}`;
}
