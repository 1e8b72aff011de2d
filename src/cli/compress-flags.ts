/**
 * Flags of the compression step, shared by `extract` and `compress`.
 */
import { DEFAULT_COMPRESS_OPTIONS, PRECONDITIONER_KINDS, RECOMMENDED_CAP_RATIO, RECOMMENDED_METHOD, RECOMMENDED_PRECONDITIONER_EPS, RECOMMENDED_TARGET, withRecommendedDefaults, type CompressMethod, type CompressOptions } from '../schedule/compress.js';
import { CAP_BASES } from '../schedule/stability.js';
import { flag, type FlagSpecs, type ParsedArgs } from './args.js';

const d = DEFAULT_COMPRESS_OPTIONS;

export const compressFlags: FlagSpecs = {
  method: {
    type: 'string', choices: ['constant', 'piecewise', 'factorized'], default: RECOMMENDED_METHOD,
    help: 'constant: one multiplier per group; piecewise: knots over the probe; factorized: shared profile x per-group offset',
  },
  'skip-fraction': { type: 'number', min: 0, max: 0.99, default: d.skipFraction, help: 'share of the probe treated as transient and ignored' },
  estimator: { type: 'string', choices: ['median', 'trimmedMean'], default: d.estimator, help: 'constant method: statistic of ln c' },
  knots: { type: 'int', min: 2, max: 64, default: d.knots, help: 'piecewise/factorized: knots over the probe' },
  'min-multiplier': { type: 'number', min: 0, default: d.minMultiplier, help: 'clamp multipliers from below' },
  'max-multiplier': { type: 'number', min: 0, default: d.maxMultiplier, help: 'clamp multipliers from above' },
  target: {
    // stepNorm is the command-line default: it beat multiplier schedules in the tiny comparison
    // (artifacts/README.md); the library default stays multiplier, the format's original meaning.
    type: 'string', choices: ['multiplier', 'stepNorm'], default: RECOMMENDED_TARGET,
    help: 'multiplier: per-group SGD rates c = |u_Adam|/(eta |g|); stepNorm: step lengths m = |u_Adam|/eta applied to the group-normalised gradient',
  },
  'cap-ratio': {
    type: 'number', min: 0, default: RECOMMENDED_CAP_RATIO,
    help: 'stability cap: no group above this multiple of the median group multiplier (step norms: of the median per-coordinate step m/sqrt(size)); 0: off',
  },
  'cap-by': {
    type: 'string', choices: [...CAP_BASES], default: d.capBy,
    help: 'what the cap compares: size (the per-coordinate step, or the multiplier); curvature (each group\'s step over its stability limit, measured at the probe\'s end)',
  },
  'zero-grad-tol': {
    type: 'number', min: 0, max: 0.99, default: d.zeroGradTol,
    help: 'groups whose gradient RMS is below this share of the median group\'s (round-off, e.g. attention key bias) get the fallback',
  },
  'flag-spread': { type: 'number', min: 0, default: d.flagSpread, help: 'flag groups whose IQR of ln c exceeds this' },
  preconditioner: {
    // No parser default: it depends on the target (withRecommendedDefaults).
    type: 'string', choices: [...PRECONDITIONER_KINDS],
    help: 'factored: also store Adam\'s second moments as row/column factors and train on P * g, P = 1/sqrt(v~ + eps^2) (needs --target stepNorm); none: the group-normalised gradient (default: factored with --target stepNorm, none with multiplier)',
  },
  'preconditioner-eps': {
    type: 'number', min: 0, max: 100,
    help: `factored: eps per tensor as a share of sqrt(its typical v~); caps P at 1/share times the typical coordinate's (default: ${RECOMMENDED_PRECONDITIONER_EPS})`,
  },
};

export function compressOptionsFrom(args: ParsedArgs): Partial<CompressOptions> {
  return withRecommendedDefaults({
    method: flag.str(args, 'method') as CompressMethod,
    skipFraction: flag.num(args, 'skip-fraction'),
    estimator: flag.str(args, 'estimator') as CompressOptions['estimator'],
    knots: flag.int(args, 'knots'),
    minMultiplier: flag.num(args, 'min-multiplier'),
    maxMultiplier: flag.num(args, 'max-multiplier'),
    flagSpread: flag.num(args, 'flag-spread'),
    target: flag.str(args, 'target') as CompressOptions['target'],
    capRatio: flag.num(args, 'cap-ratio'),
    capBy: flag.str(args, 'cap-by') as CompressOptions['capBy'],
    zeroGradTol: flag.num(args, 'zero-grad-tol'),
    preconditioner: flag.str(args, 'preconditioner') as CompressOptions['preconditioner'],
    preconditionerEps: flag.num(args, 'preconditioner-eps'),
  });
}
