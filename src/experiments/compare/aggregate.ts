/**
 * Per-method results over seeds: each method at its selected setting, mean and sample standard deviation
 * over the seeds it ran on, gap closure per seed against that seed's best Adam and best SGD, and the rank.
 *
 *   mean = sum x_k / n,  sd = sqrt(sum (x_k - mean)^2 / (n - 1))   (null for n < 2)
 *   gap closure of seed k = (sgd_k - x_k) / (sgd_k - adam_k)        (1.0: matches Adam; null when sgd_k <= adam_k)
 *   gap closure from the means = (mean sgd - mean x) / (mean sgd - mean adam), over the method's seeds
 */
import type { CompareResult, CompareRun, Family, Selection } from './run.js';
import { bestRun, STATELESS } from './select.js';

export interface Stat {
  mean: number | null;
  sd: number | null;
  /** Finite values counted. */
  n: number;
  /** One per seed, in seed order (null: failed or missing). */
  values: (number | null)[];
}

export interface SeedBaseline {
  seed: number;
  adam: { run: string; heldout: number | null; ood: number | null } | null;
  sgd: { run: string; heldout: number | null; ood: number | null } | null;
}

export interface MethodResult {
  rank: number;
  method: string;
  family: Family;
  variant: string | null;
  setting: number;
  hybridAdamLr: number | null;
  stateless: boolean;
  seeds: number[];
  runs: string[];
  /** Seeds whose run failed (diverged); a method with any failure ranks after all others. */
  failed: number;
  heldoutLoss: Stat;
  heldoutAccuracy: Stat;
  /** Held-out loss at [MASK] inputs only (the context alone); no values for runs cached before it was measured. */
  atMaskLoss: Stat;
  oodLoss: Stat;
  oodAccuracy: Stat;
  gapClosure: { heldout: Stat; ood: Stat; heldoutFromMeans: number | null; oodFromMeans: number | null };
  /** Static and hybrid: the largest .graft file over the seeds. */
  artifactBytes: number | null;
  optimizerStateBytes: number | null;
  /** Share of parameters that carry per-coordinate optimizer state. */
  statefulFraction: number | null;
  peakRssMiB: Stat;
  msPerStep: Stat;
  /** Static and hybrid: the probe's optimizer state (the largest over the seeds); null for the others. */
  probeStateBytes: number | null;
  /** The whole pipeline's peak resident memory per seed: max(probe, training run); a method without a probe: the run's. */
  pipelinePeakRssMiB: Stat;
}

const finite = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

/** Mean and sample sd of the finite values. */
export function stat(values: (number | null)[]): Stat {
  const xs = values.filter((x): x is number => x !== null && Number.isFinite(x));
  const n = xs.length;
  if (n === 0) return { mean: null, sd: null, n, values };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n < 2 ? null : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { mean, sd, n, values };
}

/** (sgd - x) / (sgd - adam), or null when undefined (missing numbers or no gap to close). */
export function gapClosure(sgd: number | null, adam: number | null, x: number | null): number | null {
  if (sgd === null || adam === null || x === null || sgd - adam <= 0) return null;
  return (sgd - x) / (sgd - adam);
}

/** Each seed's best Adam and best SGD run (by in-domain held-out loss), whatever settings that seed ran. */
export function seedBaselines(result: CompareResult): SeedBaseline[] {
  const describe = (r: CompareRun | undefined) =>
    r === undefined ? null : { run: r.name, heldout: finite(r.summary.heldout?.loss), ood: finite(r.summary.ood?.loss) };
  return result.options.seeds.map((seed) => ({
    seed,
    adam: describe(bestRun(result.runs.filter((r) => r.family === 'adam' && r.seed === seed))),
    sgd: describe(bestRun(result.runs.filter((r) => r.family === 'sgd' && r.seed === seed))),
  }));
}

function methodResult(result: CompareResult, sel: Selection, baselines: SeedBaseline[]): Omit<MethodResult, 'rank'> {
  const mine = result.options.seeds
    .map((seed) =>
      result.runs.find(
        (r) => r.seed === seed && r.family === sel.family && (r.variant ?? null) === sel.variant && r.setting === sel.setting,
      ),
    )
    .filter((r): r is CompareRun => r !== undefined);
  const per = (f: (r: CompareRun) => number | null | undefined) => stat(mine.map((r) => finite(f(r))));
  const heldoutLoss = per((r) => r.summary.heldout?.loss);
  const oodLoss = per((r) => r.summary.ood?.loss);
  const base = mine.map((r) => baselines.find((b) => b.seed === r.seed)!);
  const gap = (which: 'heldout' | 'ood', s: Stat) =>
    stat(mine.map((_, k) => gapClosure(base[k].sgd?.[which] ?? null, base[k].adam?.[which] ?? null, s.values[k])));
  const meanOf = (which: 'heldout' | 'ood', fam: 'adam' | 'sgd') => stat(base.map((b) => b[fam]?.[which] ?? null)).mean;
  const done = mine.filter((r) => r.error === undefined);
  const probeOf = (r: CompareRun) => (r.probe === undefined ? undefined : result.probes.find((p) => p.name === r.probe));
  const max = (xs: (number | undefined)[]) => {
    const f = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
    return f.length ? Math.max(...f) : null;
  };
  return {
    method: sel.method,
    family: sel.family,
    variant: sel.variant,
    setting: sel.setting,
    hybridAdamLr: sel.hybridAdamLr ?? null,
    stateless: STATELESS[sel.family],
    seeds: mine.map((r) => r.seed),
    runs: mine.map((r) => r.name),
    failed: mine.filter((r) => r.error !== undefined).length,
    heldoutLoss,
    heldoutAccuracy: per((r) => r.summary.heldout?.accuracy),
    atMaskLoss: per((r) => r.summary.heldoutAtMask?.loss),
    oodLoss,
    oodAccuracy: per((r) => r.summary.ood?.accuracy),
    gapClosure: {
      heldout: gap('heldout', heldoutLoss),
      ood: gap('ood', oodLoss),
      heldoutFromMeans: gapClosure(meanOf('heldout', 'sgd'), meanOf('heldout', 'adam'), heldoutLoss.mean),
      oodFromMeans: gapClosure(meanOf('ood', 'sgd'), meanOf('ood', 'adam'), oodLoss.mean),
    },
    artifactBytes: max(mine.map((r) => r.artifact?.bytes)),
    optimizerStateBytes: max(done.map((r) => r.summary.optimizerStateBytes)),
    statefulFraction: done.length ? finite(done[0].summary.statefulParams / done[0].summary.paramCount) : null,
    peakRssMiB: per((r) => r.summary.peakRssBytes / 2 ** 20),
    msPerStep: per((r) => r.summary.msPerStepMedian),
    probeStateBytes: max(mine.map((r) => probeOf(r)?.optimizerStateBytes)),
    pipelinePeakRssMiB: per((r) => Math.max(r.summary.peakRssBytes, probeOf(r)?.peakRssBytes ?? -Infinity) / 2 ** 20),
  };
}

/** Every selected method, ranked by mean in-domain held-out loss (methods with a failed seed last). */
export function methodResults(result: CompareResult, baselines = seedBaselines(result)): MethodResult[] {
  const key = (m: Omit<MethodResult, 'rank'>) => (m.failed > 0 || m.heldoutLoss.mean === null ? Infinity : m.heldoutLoss.mean);
  return result.selected
    .map((sel) => methodResult(result, sel, baselines))
    .sort((a, b) => (key(a) === key(b) ? 0 : key(a) < key(b) ? -1 : 1))
    .map((m, i) => ({ rank: i + 1, ...m }));
}

/** What a schedule made elsewhere (`--schedule-files`) keeps of the gap closure of the best schedule probed in this comparison. */
export interface ScheduleFileResult {
  /** The file's variant ("file-<name>") and the probed variant it is measured against. */
  variant: string;
  against: string;
  /** Per seed the ratio closure_file / closure_probed (1: as good as a schedule probed on this data). */
  kept: { heldout: Stat; ood: Stat };
}

/**
 * For each schedule-file method, the share of the best probed static variant's gap closure it keeps, per seed:
 *   kept_s = closure_file,s / closure_probed,s       (null where either closure is null or closure_probed,s is 0)
 * "Best probed": the probed static method ranked first (lowest mean held-out loss). Empty without both kinds.
 */
export function scheduleFileResults(methods: MethodResult[]): ScheduleFileResult[] {
  const isFile = (m: MethodResult) => m.family === 'static' && m.variant !== null && m.variant.startsWith('file-');
  const probed = methods.filter((m) => m.family === 'static' && !isFile(m)).sort((a, b) => a.rank - b.rank)[0];
  if (!probed) return [];
  const ratio = (a: Stat, b: Stat) => stat(a.values.map((x, i) => (x === null || !b.values[i] ? null : x / b.values[i]!)));
  return methods.filter(isFile).map((m) => ({
    variant: m.variant!,
    against: probed.variant!,
    kept: { heldout: ratio(m.gapClosure.heldout, probed.gapClosure.heldout), ood: ratio(m.gapClosure.ood, probed.gapClosure.ood) },
  }));
}
