/**
 * The options of the compression step (`extract`, `compress`) as a schema whose defaults are the recommended
 * values: factorized, step norms with the factored preconditioner at eps ratio 0.5, cap 2 by size. The command
 * line's flags come from it (src/cli/compress-flags.ts). Its limits are those resolveCompressOptions (compress.ts)
 * enforces, which also reads the options stored in artifacts.
 */
import type { OptionSchema } from '../core/options/schema.js';
import {
  COMPRESS_METHODS,
  COMPRESS_TARGETS,
  DEFAULT_COMPRESS_OPTIONS,
  PRECONDITIONER_KINDS,
  RECOMMENDED_CAP_RATIO,
  RECOMMENDED_METHOD,
  RECOMMENDED_PRECONDITIONER_EPS,
  RECOMMENDED_TARGET,
} from './compress.js';
import { CAP_BASES } from './stability.js';

const d = DEFAULT_COMPRESS_OPTIONS;

export const COMPRESS_SCHEMA: OptionSchema = {
  method: {
    kind: 'enum',
    flag: 'method',
    choices: COMPRESS_METHODS,
    default: RECOMMENDED_METHOD,
    help: 'constant: one multiplier per group; piecewise: knots over the probe; factorized: shared profile x per-group offset',
  },
  skipFraction: {
    kind: 'number',
    flag: 'skip-fraction',
    lo: 0,
    hi: 1,
    hiOpen: true,
    default: d.skipFraction,
    help: 'share of the probe treated as transient and ignored',
  },
  estimator: {
    kind: 'enum',
    flag: 'estimator',
    choices: ['median', 'trimmedMean'],
    default: d.estimator,
    help: 'constant method: statistic of ln c',
  },
  knots: { kind: 'int', flag: 'knots', lo: 2, hi: 64, default: d.knots, help: 'piecewise/factorized: knots over the probe' },
  minMultiplier: {
    kind: 'number',
    flag: 'min-multiplier',
    lo: 0,
    loOpen: true,
    default: d.minMultiplier,
    help: 'clamp multipliers from below',
  },
  maxMultiplier: {
    kind: 'number',
    flag: 'max-multiplier',
    lo: 0,
    loOpen: true,
    default: d.maxMultiplier,
    help: 'clamp multipliers from above',
  },
  target: {
    kind: 'enum',
    flag: 'target',
    choices: COMPRESS_TARGETS,
    default: RECOMMENDED_TARGET,
    help: 'multiplier: per-group SGD rates c = |u_Adam|/(eta |g|); stepNorm: step lengths m = |u_Adam|/eta applied to the group-normalised gradient',
  },
  capRatio: {
    kind: 'number',
    flag: 'cap-ratio',
    lo: 0,
    default: RECOMMENDED_CAP_RATIO,
    help: 'stability cap: no group above this multiple of the median group multiplier (step norms: of the median per-coordinate step m/sqrt(size)); 0: off, else >= 1',
  },
  capBy: {
    kind: 'enum',
    flag: 'cap-by',
    choices: CAP_BASES,
    default: d.capBy,
    help: "what the cap compares: size (the per-coordinate step, or the multiplier); curvature (each group's step over its stability limit, measured at the probe's end)",
  },
  zeroGradTol: {
    kind: 'number',
    flag: 'zero-grad-tol',
    lo: 0,
    hi: 1,
    hiOpen: true,
    default: d.zeroGradTol,
    help: "groups whose gradient RMS is below this share of the median group's (round-off, e.g. attention key bias) get the fallback",
  },
  flagSpread: { kind: 'number', flag: 'flag-spread', lo: 0, default: d.flagSpread, help: 'flag groups whose IQR of ln c exceeds this' },
  preconditioner: {
    // No default of its own: it follows the target (withRecommendedDefaults).
    kind: 'enum',
    flag: 'preconditioner',
    choices: PRECONDITIONER_KINDS,
    help: "factored: also store Adam's second moments as row/column factors and train on P * g, P = 1/sqrt(v~ + eps^2) (needs --target stepNorm); none: the group-normalised gradient (default: factored with --target stepNorm, none with multiplier)",
  },
  preconditionerEps: {
    kind: 'number',
    flag: 'preconditioner-eps',
    lo: 0,
    loOpen: true,
    hi: 100,
    default: RECOMMENDED_PRECONDITIONER_EPS,
    implied: true,
    help: "factored: eps per tensor as a share of sqrt(its typical v~); caps P at 1/share times the typical coordinate's",
  },
};
