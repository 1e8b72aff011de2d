/**
 * Type checks for the schedule-specific fields of a decoded artifact (compression, groups, trace).
 */
import {
  PRECONDITIONER_KINDS,
  resolveCompressOptions,
  type CompressMethod,
  type CompressOptions,
  type CompressTarget,
  type CompressionInfo,
  type GroupEntry,
  type SpreadStats,
} from './compress.js';
import { CAP_BASES } from './stability.js';
import type { ModelInfo } from './model-info.js';
import type { FieldChecker } from './validate.js';

const METHODS: CompressMethod[] = ['constant', 'piecewise', 'factorized'];
const ESTIMATORS: readonly CompressOptions['estimator'][] = ['median', 'trimmedMean'];
const TARGETS: readonly CompressTarget[] = ['multiplier', 'stepNorm'];

/** Options stored as numbers; any other stored type is refused (a boolean would pass some range tests). */
const NUMBER_OPTIONS = [
  'skipFraction',
  'trimFraction',
  'knots',
  'minMultiplier',
  'maxMultiplier',
  'flagSpread',
  'zeroGradTol',
  'capRatio',
  'preconditionerEps',
] as const;
const STRING_OPTIONS = ['method', 'estimator', 'target', 'capBy', 'preconditioner'] as const;
/** Options every graftlr has written (the others came later: absent means their default). */
const REQUIRED_OPTIONS = [
  'method',
  'skipFraction',
  'estimator',
  'trimFraction',
  'knots',
  'minMultiplier',
  'maxMultiplier',
  'flagSpread',
  'fallback',
] as const;

/**
 * Options that graftlr wrote only alongside `target` (target came first): a file holding one of them without
 * `target` was edited, and reading it as the default "multiplier" would apply step norms as SGD multipliers.
 */
const WRITTEN_WITH_TARGET = ['preconditioner', 'preconditionerEps', 'capBy'] as const;

/**
 * compression.options, in the ranges compression itself accepts (resolveCompressOptions): every known option
 * has the right type and range, those added later may be absent (files from older writers: their defaults), and
 * `method` matches compression.method. Unknown keys are kept (readers ignore them; re-encoding keeps the bytes).
 * Returns them typed: readers use compression.options as it is, without casts or defaults of their own.
 */
export function checkCompressOptions(check: FieldChecker, x: unknown, method: CompressMethod): CompressOptions {
  const o = check.plainRecord(x, 'compression.options');
  for (const key of REQUIRED_OPTIONS) if (o[key] === undefined) check.fail(`compression.options.${key}`, 'is missing');
  for (const key of NUMBER_OPTIONS) if (o[key] !== undefined) check.number(o[key], `compression.options.${key}`);
  for (const key of STRING_OPTIONS) if (o[key] !== undefined) check.string(o[key], `compression.options.${key}`);
  if (o.fallback !== undefined && o.fallback !== 'median') check.number(o.fallback, 'compression.options.fallback');
  if (o.method !== undefined && o.method !== method)
    check.fail('compression.options.method', `is "${o.method}" but compression.method is "${method}"`);
  if (o.target === undefined) {
    const later = WRITTEN_WITH_TARGET.find((key) => o[key] !== undefined);
    if (later)
      check.fail(
        'compression.options.target',
        `is missing although options.${later} is present (graftlr writes target with it), so the meaning of the group values is unknown`,
      );
  }
  // Every known key's type was checked above; the values are typed here, the strings against their lists.
  const oneOf = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    if (o[key] === undefined) return undefined;
    const hit = allowed.find((a) => a === o[key]);
    if (hit === undefined) {
      check.fail('compression.options', `is invalid: ${key} = ${JSON.stringify(o[key])} is invalid: expected ${allowed.join(' or ')}`);
    }
    return hit;
  };
  const num = (key: (typeof NUMBER_OPTIONS)[number]): number => o[key] as number;
  const optional = <K extends keyof CompressOptions>(key: K, value: CompressOptions[K] | undefined): Partial<CompressOptions> =>
    value === undefined ? {} : { [key]: value }; // absent stays absent: re-encoding keeps the bytes
  const typed: CompressOptions = {
    method,
    skipFraction: num('skipFraction'),
    estimator: oneOf('estimator', ESTIMATORS)!,
    trimFraction: num('trimFraction'),
    knots: num('knots'),
    minMultiplier: num('minMultiplier'),
    maxMultiplier: num('maxMultiplier'),
    flagSpread: num('flagSpread'),
    fallback: o.fallback === 'median' ? 'median' : (o.fallback as number),
    ...optional('zeroGradTol', o.zeroGradTol as number | undefined),
    ...optional('target', oneOf('target', TARGETS)),
    ...optional('capRatio', o.capRatio as number | undefined),
    ...optional('capBy', oneOf('capBy', CAP_BASES)),
    ...optional('preconditioner', oneOf('preconditioner', PRECONDITIONER_KINDS)),
    ...optional('preconditionerEps', o.preconditionerEps as number | undefined),
  };
  try {
    resolveCompressOptions(typed);
  } catch (err) {
    check.fail(
      'compression.options',
      `is invalid: ${(err as Error).message.replace(/^compression option /, '').replace(/: pass --target stepNorm$/, '')}`,
    );
  }
  return { ...o, ...typed }; // unknown keys kept in place: re-encoding gives back the same bytes
}

export function checkCompression(check: FieldChecker, x: unknown, model: ModelInfo): CompressionInfo {
  const o = check.object(x, 'compression');
  const method = check.string(o.method, 'compression.method') as CompressMethod;
  if (!METHODS.includes(method)) check.fail('compression.method', `is "${method}", expected one of ${METHODS.join(', ')}`);
  const fe = check.object(o.fitError, 'compression.fitError');
  const fitError: Record<string, number | null> = {};
  for (const g of model.groups) fitError[g.name] = check.numberOrNull(fe[g.name] ?? null, `compression.fitError.${g.name}`);
  const known = new Set(model.groups.map((g) => g.name));
  const names = (key: string) => {
    const list = check.strings(o[key], `compression.${key}`);
    for (const n of list) if (!known.has(n)) check.fail(`compression.${key}`, `names unknown group "${n}"`);
    return list;
  };
  const out: CompressionInfo = {
    method,
    options: checkCompressOptions(check, o.options, method),
    fitError,
    flagged: names('flagged'),
    clamped: names('clamped'),
    noData: names('noData'),
  };
  if (o.profile !== undefined) {
    const p = check.object(o.profile, 'compression.profile');
    const offsets = check.object(p.offsets, 'compression.profile.offsets');
    out.profile = {
      knots: checkKnots(check, p.knots, 'compression.profile.knots'),
      offsets: Object.fromEntries(Object.entries(offsets).map(([k, v]) => [k, check.number(v, `compression.profile.offsets.${k}`, 0)])),
    };
  }
  return out;
}

/** [[fraction, c], ...]: at least one knot, fractions finite and strictly increasing, c finite and > 0. */
function checkKnots(check: FieldChecker, x: unknown, path: string): [number, number][] {
  const list = check.array(x, path);
  if (list.length === 0) check.fail(path, 'is empty: a schedule needs at least one knot');
  const knots = list.map((k, i) => {
    const pair = check.array(k, `${path}[${i}]`);
    if (pair.length !== 2) check.fail(`${path}[${i}]`, `must be [fraction, multiplier], got ${pair.length} values`);
    return [check.number(pair[0], `${path}[${i}][0]`), positive(check, pair[1], `${path}[${i}][1]`)] as [number, number];
  });
  for (let i = 1; i < knots.length; i++) {
    if (!(knots[i][0] > knots[i - 1][0]))
      check.fail(path, `fractions must increase, but knot ${i} (${knots[i][0]}) follows ${knots[i - 1][0]}`);
  }
  return knots;
}

function positive(check: FieldChecker, x: unknown, path: string): number {
  const v = check.number(x, path);
  if (!(v > 0)) check.fail(path, `must be > 0, got ${v}`);
  return v;
}

export function checkArtifactGroups(check: FieldChecker, x: unknown, model: ModelInfo): Record<string, GroupEntry> {
  const o = check.object(x, 'groups');
  const out: Record<string, GroupEntry> = {};
  for (const g of model.groups) {
    const at = `groups.${g.name}`;
    if (o[g.name] === undefined) check.fail(at, 'is missing: every model group needs a schedule');
    const e = check.object(o[g.name], at);
    const s = check.object(e.spread, `${at}.spread`);
    const spread: SpreadStats = {
      valid: check.int(s.valid, `${at}.spread.valid`),
      window: check.int(s.window, `${at}.spread.window`),
      q25: check.numberOrNull(s.q25, `${at}.spread.q25`),
      median: check.numberOrNull(s.median, `${at}.spread.median`),
      q75: check.numberOrNull(s.q75, `${at}.spread.q75`),
      iqrLog: check.numberOrNull(s.iqrLog, `${at}.spread.iqrLog`),
    };
    const hasConstant = e.constant !== undefined,
      hasKnots = e.knots !== undefined;
    if (hasConstant === hasKnots) check.fail(at, 'must have exactly one of "constant" or "knots"');
    out[g.name] = hasConstant
      ? { constant: positive(check, e.constant, `${at}.constant`), spread }
      : { knots: checkKnots(check, e.knots, `${at}.knots`), spread };
  }
  for (const name of Object.keys(o))
    if (!model.groups.some((g) => g.name === name)) check.fail(`groups.${name}`, 'is not a group of model.groups');
  return out;
}

/** The trace record: its scalar field checked here, its arrays by unpackArray. */
export function checkArtifactTrace(
  check: FieldChecker,
  x: unknown,
): { stepsPerPoint: number; fraction: unknown; loss: unknown; c: unknown } {
  const t = check.object(x, 'trace');
  return { stepsPerPoint: check.int(t.stepsPerPoint, 'trace.stepsPerPoint', 1), fraction: t.fraction, loss: t.loss, c: t.c };
}
