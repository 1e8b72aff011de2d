/**
 * Compression: a noisy probe trace c_G(t) -> a small static schedule per group, defined for all t.
 * Pure functions of the trace; everything is done on y = ln c over valid samples only.
 *
 * Time is x = t / totalSteps (fraction of the planned training), so a run of any length can stretch it.
 * The *window* is the part of the probe after the transient: steps t >= t_first + skipFraction (t_last - t_first).
 *
 * - constant:   c_G = exp(median of y over the window) (the median of ln c; with an even count that is the
 *               geometric mean of the middle two c), or exp(trimmed mean of y) with estimator "trimmedMean".
 * - piecewise:  K knots evenly spaced over the probe horizon [x_first, x_last]; ln c_G piecewise linear
 *               between them, fitted by least squares to all valid samples; held constant after the horizon.
 * - factorized: ln c_G(x) = a_G + s(x), one shared piecewise-linear profile s (K knots, s = 0 at the last
 *               knot) plus a per-group offset a_G, fitted by alternating least squares on all valid samples.
 *
 * Reported per group: fitError = RMS of ln c - ln schedule over the window's valid samples (the same samples
 * for every method, so errors compare across methods); spread = quartiles of c and IQR of ln c over the
 * window. A group is *flagged* if its IQR of ln c exceeds `flagSpread` (default ln 2: the middle half of its
 * samples spans more than a factor of 2) or it has no valid sample. Multipliers are clamped to
 * [minMultiplier, maxMultiplier] (default [1e-3, 1e4]); groups that needed it are listed in `clamped`.
 * A group with no valid sample gets the fallback constant: by default the median of the other groups'
 * final multipliers (1 if no group has data); it is listed in `noData` and `flagged`.
 * If a group has valid samples but none inside the window, its window is all of its valid samples.
 *
 * Stability (stability.ts): a group whose gradient is zero up to round-off (gradient RMS below
 * `zeroGradTol` times the median group's; default 1e-6) is treated as having no data. With `capRatio` > 0,
 * every group's ln schedule is capped at ln(capRatio) + the median over groups of the held ln multiplier
 * (for step norms: of the held per-coordinate step m_G / sqrt(size_G)), before clamping; capped groups are
 * listed in `clamped` too. capRatio = 0 (the default) leaves it off. With capBy "curvature" the cap compares each
 * group's step with its own stability limit measured at the probe's end instead (needs a version-3 trace).
 *
 * Preconditioner (second-moments.ts): with `preconditioner: 'factored'` the result also carries a fixed
 * per-coordinate preconditioner P = 1 / sqrt(v~ + eps_T^2) built from the trace's factored second moments,
 * eps_T = preconditionerEps * sqrt(typical v~ of T). It needs target stepNorm (P rescales the gradient, so only
 * a normalised step has a meaningful length) and a trace that recorded second moments (version 2).
 */
import { fitPiecewiseLinear, knotGrid, mean, median, piecewiseLinearAt, quantile, trimmedMean } from './fit.js';
import { multiplierAt, type GroupSchedule } from './interpolate.js';
import { buildPreconditioner, type Preconditioner } from './second-moments.js';
import { CAP_BASES, capLogSchedules, capUnits, type CapBasis, zeroGradientGroups } from './stability.js';
import type { Trace } from './trace.js';

export const COMPRESS_METHODS = ['constant', 'piecewise', 'factorized'] as const;
export type CompressMethod = (typeof COMPRESS_METHODS)[number];

/**
 * What is compressed: `multiplier` c_G = ||u_Adam[G]|| / (eta ||g[G]||) (plain per-group SGD rates), or
 * `stepNorm` m_G = ||u_Adam[G]|| / eta (the length of Adam's step per unit base lr), which training applies
 * to the group-normalised gradient: w[G] <- w[G] - eta(t) * m_G(t) * g[G] / ||g[G]|| (still stateless).
 */
export const COMPRESS_TARGETS = ['multiplier', 'stepNorm'] as const;
export type CompressTarget = (typeof COMPRESS_TARGETS)[number];

/**
 * The recommended target (COMPRESS_SCHEMA, used by `extract`, `compress`, `compare` and `bench`): step norms
 * (measurements in artifacts/README.md). compressTrace's own default stays `multiplier`, the meaning of files
 * that carry no target.
 */
export const RECOMMENDED_TARGET: CompressTarget = 'stepNorm';

/** `none`: plain (group-normalised) gradients; `factored`: a fixed per-coordinate preconditioner from Adam's v. */
export type PreconditionerKind = 'none' | 'factored';
export const PRECONDITIONER_KINDS: readonly PreconditionerKind[] = ['none', 'factored'];

/**
 * The recommended preconditioner with a step-norm target: factored, at RECOMMENDED_PRECONDITIONER_EPS
 * (measurements in artifacts/README.md). compressTrace's own default stays `none`.
 */
export const RECOMMENDED_PRECONDITIONER: PreconditionerKind = 'factored';

export interface CompressOptions {
  method: CompressMethod;
  skipFraction: number; // [0, 1): share of the probe treated as transient
  estimator: 'median' | 'trimmedMean'; // constant method
  trimFraction: number; // [0, 0.5): trimmed from each end by trimmedMean
  knots: number; // integer in [2, 64]: piecewise and factorized
  minMultiplier: number; // > 0
  maxMultiplier: number; // > minMultiplier
  flagSpread: number; // >= 0, in ln units
  fallback: 'median' | number; // multiplier for groups without data
  zeroGradTol?: number; // [0, 1): relative gradient RMS below which a group has no data (0: off)
  target?: CompressTarget; // what is compressed (see CompressTarget)
  capRatio?: number; // 0 (off) or >= 1: cap on c_G relative to the median group's
  capBy?: CapBasis; // what the cap compares: size (per coordinate) or curvature (measured limit)
  preconditioner?: PreconditionerKind; // fixed per-coordinate preconditioner (default none)
  preconditionerEps?: number; // (0, 100]: eps_T / sqrt(typical v of tensor T), factored only
}

/** compressTrace's own eps ratio default (eps_T / sqrt(typical v~ of tensor T)): the first one, kept for its files. */
export const DEFAULT_PRECONDITIONER_EPS = 0.01;

/**
 * The recommended eps ratio of the factored preconditioner. At 0.5, P damps the coordinates whose v is far above
 * their tensor's typical one (Adam-like) and lifts none above sqrt(5) times the typical coordinate's; small ratios
 * (0.01) also boost rarely seen coordinates up to 1/ratio times, from second moments too noisy for that.
 */
export const RECOMMENDED_PRECONDITIONER_EPS = 0.5;

/**
 * The recommended compression method: `factorized`, a shared time profile over the probe (held after it) times a
 * per-group constant. Its profile starts several times above the held value and falls to it within the first 2%
 * of the run (Adam's first steps move every coordinate by about its lr). compressTrace's own default stays `constant`.
 */
export const RECOMMENDED_METHOD: CompressMethod = 'factorized';

/**
 * The recommended stability cap: 2, by size (no group's held per-coordinate step above twice the median group's).
 * compressTrace's own default stays 0 (off).
 */
export const RECOMMENDED_CAP_RATIO = 2;

/**
 * What an options object that names no value means: compressTrace's defaults and the reading of artifacts written
 * without a field (a format fact, kept for those files). The recommended values are COMPRESS_SCHEMA's
 * (compress-schema.ts); `withRecommendedDefaults` applies them.
 */
export const DEFAULT_COMPRESS_OPTIONS: Required<CompressOptions> = {
  method: 'constant',
  skipFraction: 0.2,
  estimator: 'median',
  trimFraction: 0.1,
  knots: 6,
  minMultiplier: 1e-3,
  maxMultiplier: 1e4,
  flagSpread: Math.LN2,
  fallback: 'median',
  zeroGradTol: 1e-6,
  capRatio: 0,
  capBy: 'size',
  target: 'multiplier',
  preconditioner: 'none',
  preconditionerEps: DEFAULT_PRECONDITIONER_EPS,
};

/** Quartiles of c and IQR of ln c over the window; `window` = valid samples used; nulls without data. */
export interface SpreadStats {
  valid: number;
  window: number;
  q25: number | null;
  median: number | null;
  q75: number | null;
  iqrLog: number | null;
}

export type GroupEntry = GroupSchedule & { spread: SpreadStats };

export interface CompressionInfo {
  method: CompressMethod;
  options: CompressOptions;
  fitError: Record<string, number | null>;
  flagged: string[];
  clamped: string[];
  noData: string[];
  /** factorized only: exp(s) at the knots and exp(a_G) per group. */
  profile?: { knots: [number, number][]; offsets: Record<string, number> };
}

export interface Compressed {
  compression: CompressionInfo;
  groups: Record<string, GroupEntry>;
  /** Present iff options.preconditioner is 'factored'. */
  preconditioner?: Preconditioner;
}

/**
 * `o` with the recommended method, cap, target, preconditioner and eps ratio where it names none: factorized, cap 2,
 * step norms with the factored preconditioner at RECOMMENDED_PRECONDITIONER_EPS; a multiplier target gets no preconditioner (the
 * two do not pair) unless one is asked for.
 */
export function withRecommendedDefaults(o: Partial<CompressOptions> = {}): Partial<CompressOptions> {
  const target = o.target ?? RECOMMENDED_TARGET;
  const preconditioner = o.preconditioner ?? (target === 'stepNorm' ? RECOMMENDED_PRECONDITIONER : 'none');
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const eps = preconditioner === 'factored' ? { preconditionerEps: o.preconditionerEps ?? RECOMMENDED_PRECONDITIONER_EPS } : {};
  return {
    ...given,
    method: o.method ?? RECOMMENDED_METHOD,
    capRatio: o.capRatio ?? RECOMMENDED_CAP_RATIO,
    target,
    preconditioner,
    ...eps,
  };
}

/** Returns the options with defaults filled in, or throws naming the bad value and the allowed range. */
export function resolveCompressOptions(o: Partial<CompressOptions> = {}): Required<CompressOptions> {
  const r = { ...DEFAULT_COMPRESS_OPTIONS, ...o };
  const bad = (k: string, v: unknown, range: string) =>
    new Error(`compression option ${k} = ${JSON.stringify(v)} is invalid: expected ${range}`);
  if (!COMPRESS_METHODS.includes(r.method)) throw bad('method', r.method, 'constant, piecewise or factorized');
  if (!(r.skipFraction >= 0 && r.skipFraction < 1)) throw bad('skipFraction', r.skipFraction, 'a number in [0, 1)');
  if (!['median', 'trimmedMean'].includes(r.estimator)) throw bad('estimator', r.estimator, 'median or trimmedMean');
  if (!(r.trimFraction >= 0 && r.trimFraction < 0.5)) throw bad('trimFraction', r.trimFraction, 'a number in [0, 0.5)');
  if (!Number.isInteger(r.knots) || r.knots < 2 || r.knots > 64) throw bad('knots', r.knots, 'an integer in [2, 64]');
  if (!(r.minMultiplier > 0 && Number.isFinite(r.minMultiplier))) throw bad('minMultiplier', r.minMultiplier, 'a finite number > 0');
  if (!(r.maxMultiplier > r.minMultiplier && Number.isFinite(r.maxMultiplier)))
    throw bad('maxMultiplier', r.maxMultiplier, `a finite number > minMultiplier (${r.minMultiplier})`);
  if (!(r.flagSpread >= 0)) throw bad('flagSpread', r.flagSpread, 'a number >= 0 (natural-log units)');
  if (r.fallback !== 'median' && !(typeof r.fallback === 'number' && r.fallback > 0 && Number.isFinite(r.fallback))) {
    throw bad('fallback', r.fallback, '"median" or a finite number > 0');
  }
  if (!(r.zeroGradTol >= 0 && r.zeroGradTol < 1)) throw bad('zeroGradTol', r.zeroGradTol, 'a number in [0, 1) (0 turns the test off)');
  if (!COMPRESS_TARGETS.includes(r.target)) throw bad('target', r.target, 'multiplier or stepNorm');
  if (!(r.capRatio === 0 || (r.capRatio >= 1 && Number.isFinite(r.capRatio))))
    throw bad('capRatio', r.capRatio, '0 (off) or a finite number >= 1');
  if (!CAP_BASES.includes(r.capBy)) throw bad('capBy', r.capBy, CAP_BASES.join(' or '));
  if (!PRECONDITIONER_KINDS.includes(r.preconditioner)) throw bad('preconditioner', r.preconditioner, PRECONDITIONER_KINDS.join(' or '));
  if (!(r.preconditionerEps > 0 && r.preconditionerEps <= 100)) throw bad('preconditionerEps', r.preconditionerEps, 'a number in (0, 100]');
  if (r.preconditioner === 'factored' && r.target !== 'stepNorm') {
    throw new Error(`compression option preconditioner = "factored" needs target "stepNorm" (got "${r.target}"): pass --target stepNorm`);
  }
  return r;
}

/** One group's valid samples: x = t / totalSteps, y = ln c; `inWindow` marks the post-transient ones. */
interface Samples {
  x: number[];
  y: number[];
  inWindow: boolean[];
}

function groupSamples(trace: Trace, skipFraction: number, target: CompressTarget): Samples[] {
  const n = trace.steps.length,
    G = trace.meta.model.groups.length;
  const total = trace.meta.probe.totalSteps;
  const start = n > 0 ? trace.steps[0] + skipFraction * (trace.steps[n - 1] - trace.steps[0]) : 0;
  return Array.from({ length: G }, (_, g) => {
    const s: Samples = { x: [], y: [], inWindow: [] };
    for (let i = 0; i < n; i++) {
      if (!trace.valid[i * G + g]) continue;
      s.x.push(trace.steps[i] / total);
      s.y.push(Math.log(target === 'multiplier' ? trace.c[i * G + g] : trace.uAdamNorm[i * G + g] / trace.eta[i]));
      s.inWindow.push(trace.steps[i] >= start);
    }
    if (!s.inWindow.some(Boolean)) s.inWindow.fill(true); // data only in the transient: use all of it
    return s;
  });
}

const windowOf = (s: Samples, v: number[]) => v.filter((_, i) => s.inWindow[i]);

/** Unclamped ln-multiplier schedules per group (null = no data), for the chosen method. */
function fitLogSchedules(
  trace: Trace,
  samples: Samples[],
  o: CompressOptions,
): { logs: (GroupSchedule | null)[]; profile?: CompressionInfo['profile'] } {
  const n = trace.steps.length,
    total = trace.meta.probe.totalSteps;
  const grid = n > 0 ? knotGrid(trace.steps[0] / total, trace.steps[n - 1] / total, o.knots) : [0];
  const asKnots = (v: number[]): GroupSchedule => ({ knots: grid.map((x, k) => [x, v[k]] as [number, number]) });
  if (o.method === 'constant') {
    return {
      logs: samples.map((s) => {
        if (s.y.length === 0) return null;
        const w = windowOf(s, s.y);
        return { constant: o.estimator === 'median' ? median(w) : trimmedMean(w, o.trimFraction) };
      }),
    };
  }
  if (o.method === 'piecewise') {
    return { logs: samples.map((s) => (s.y.length === 0 ? null : asKnots(fitPiecewiseLinear(grid, s.x, s.y)))) };
  }
  // factorized: alternate  s <- LS fit of (y - a_G) pooled over groups;  a_G <- mean(y - s(x)).
  const withData = samples.map((s, g) => (s.y.length > 0 ? g : -1)).filter((g) => g >= 0);
  const a = samples.map((s) => (s.y.length > 0 ? mean(s.y) : 0));
  let prof = grid.map(() => 0);
  for (let iter = 0; iter < 500; iter++) {
    const xs: number[] = [],
      rs: number[] = [];
    for (const g of withData)
      samples[g].x.forEach((x, i) => {
        xs.push(x);
        rs.push(samples[g].y[i] - a[g]);
      });
    prof = fitPiecewiseLinear(grid, xs, rs);
    let change = 0;
    for (const g of withData) {
      const next = mean(samples[g].y.map((y, i) => y - piecewiseLinearAt(grid, prof, samples[g].x[i])));
      change = Math.max(change, Math.abs(next - a[g]));
      a[g] = next;
    }
    if (change < 1e-13) break;
  }
  const shift = prof[prof.length - 1]; // normalise: s = 0 at the last knot, so exp(a_G) is the held multiplier
  prof = prof.map((v) => v - shift);
  for (const g of withData) a[g] += shift;
  const names = trace.meta.model.groups.map((g) => g.name);
  const profile = {
    knots: grid.map((x, k) => [x, Math.exp(prof[k])] as [number, number]),
    offsets: Object.fromEntries(withData.map((g) => [names[g], Math.exp(a[g])])),
  };
  return { logs: samples.map((s, g) => (s.y.length === 0 ? null : asKnots(prof.map((v) => v + a[g])))), profile };
}

/** Options as an artifact stores them: capBy only when it is not "size", so a file without it means "size" (files made before it existed). */
function storedOptions({ capBy, ...rest }: Required<CompressOptions>): CompressOptions {
  return capBy === 'size' ? rest : { ...rest, capBy };
}

/** Compresses a trace into per-group schedules with fit statistics (see the module comment). */
export function compressTrace(trace: Trace, options: Partial<CompressOptions> = {}): Compressed {
  const o = resolveCompressOptions(options);
  if (o.preconditioner === 'factored' && !trace.secondMoments) {
    throw new Error(
      'preconditioner "factored" needs the probe\'s second moments, which this trace lacks (traces before version 2 have none): re-run extract, or pass --preconditioner none',
    );
  }
  const names = trace.meta.model.groups.map((g) => g.name);
  const zero = zeroGradientGroups(trace, o.zeroGradTol);
  const samples = groupSamples(trace, o.skipFraction, o.target).map((s, g) => (zero[g] ? { x: [], y: [], inWindow: [] } : s));
  const fitted = fitLogSchedules(trace, samples, o);
  const profile = fitted.profile;
  const { logs, capped } =
    o.capRatio > 0 ? capLogSchedules(fitted.logs, o.capRatio, capUnits(trace, o.capBy, o.target)) : { logs: fitted.logs, capped: [] };

  const clamped: string[] = capped.map((g) => names[g]),
    noData: string[] = [],
    flagged: string[] = [];
  const clamp = (name: string, logC: number) => {
    const c = Math.exp(logC);
    const v = Math.min(Math.max(c, o.minMultiplier), o.maxMultiplier);
    if (v !== c && !clamped.includes(name)) clamped.push(name);
    return v;
  };
  const schedules: (GroupSchedule | null)[] = logs.map((s, g) => {
    if (!s) return null;
    if ('constant' in s) return { constant: clamp(names[g], s.constant) };
    return { knots: s.knots.map(([x, y]) => [x, clamp(names[g], y)] as [number, number]) };
  });

  const held = schedules.filter((s): s is GroupSchedule => s !== null).map((s) => multiplierAt(s, Infinity));
  const fallbackValue = o.fallback === 'median' ? (held.length > 0 ? median(held) : 1) : o.fallback;

  const groups: Record<string, GroupEntry> = {};
  const fitError: Record<string, number | null> = {};
  names.forEach((name, g) => {
    const s = samples[g];
    const wy = windowOf(s, s.y),
      wx = windowOf(s, s.x);
    const schedule = schedules[g] ?? { constant: fallbackValue };
    const spread: SpreadStats =
      wy.length === 0
        ? { valid: 0, window: 0, q25: null, median: null, q75: null, iqrLog: null }
        : {
            valid: s.y.length,
            window: wy.length,
            q25: Math.exp(quantile(wy, 0.25)),
            median: Math.exp(quantile(wy, 0.5)),
            q75: Math.exp(quantile(wy, 0.75)),
            iqrLog: quantile(wy, 0.75) - quantile(wy, 0.25),
          };
    groups[name] = { ...schedule, spread };
    fitError[name] = wy.length === 0 ? null : Math.sqrt(mean(wy.map((y, i) => (y - Math.log(multiplierAt(schedule, wx[i]))) ** 2)));
    if (!schedules[g]) noData.push(name);
    if (!schedules[g] || (spread.iqrLog !== null && spread.iqrLog > o.flagSpread)) flagged.push(name);
  });
  const compression: CompressionInfo = { method: o.method, options: storedOptions(o), fitError, flagged, clamped, noData };
  if (profile) compression.profile = profile;
  const out: Compressed = { compression, groups };
  if (o.preconditioner === 'factored') out.preconditioner = buildPreconditioner(trace.secondMoments!, o.preconditionerEps);
  return out;
}
