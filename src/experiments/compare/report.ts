/**
 * The compare report: every method at its selected setting (mean and sd over seeds, gap closure, cost),
 * ranked by mean held-out loss; each seed's baselines; every run ranked; and the loss curves' data.
 *   gap closure = (loss_SGD - loss_method) / (loss_SGD - loss_Adam)   (1.0: the method matches Adam)
 */
import { lineChart, type Series } from '../../plot/chart.js';
import {
  gapClosure,
  methodResults,
  scheduleFileResults,
  seedBaselines,
  type MethodResult,
  type ScheduleFileResult,
  type SeedBaseline,
} from './aggregate.js';
import type { CompareResult, CompareRun, Family } from './run.js';
import { selectionLoss } from './select.js';

export { gapClosure };

export interface RankedRun {
  rank: number;
  name: string;
  family: Family;
  variant: string | null;
  setting: number;
  seed: number;
  heldoutLoss: number | null;
  heldoutAccuracy: number | null;
  atMaskLoss: number | null;
  oodLoss: number | null;
  oodAccuracy: number | null;
  trainLoss: number;
  wallSeconds: number;
  msPerStep: number;
  tokensPerSecond: number;
  optimizerStateBytes: number;
  peakRssMiB: number;
  artifactBytes: number | null;
  error: string | null;
}

export interface CompareReport {
  /** The seeds of every method, and those the sweeps ran on. */
  seeds: number[];
  tuneSeeds: number[];
  /** Methods at their selected settings, in rank order. */
  methods: MethodResult[];
  /** Schedules made elsewhere (--schedule-files): what they keep of the best probed schedule's gap closure. */
  scheduleFiles: ScheduleFileResult[];
  seedBaselines: SeedBaseline[];
  /** Every run (all settings, all seeds), by held-out loss. */
  ranked: RankedRun[];
  /** Count-based predictors on the same held-out masked positions. */
  countBaselines: CompareResult['countBaselines'];
}

const finite = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

export function buildReport(result: CompareResult): CompareReport {
  const baselines = seedBaselines(result);
  const ranked = [...result.runs]
    .sort((a, b) => selectionLoss(a) - selectionLoss(b) || 0)
    .map((r, i) => ({
      rank: i + 1,
      name: r.name,
      family: r.family,
      variant: r.variant ?? null,
      setting: r.setting,
      seed: r.seed,
      heldoutLoss: finite(r.summary.heldout?.loss),
      heldoutAccuracy: finite(r.summary.heldout?.accuracy),
      atMaskLoss: finite(r.summary.heldoutAtMask?.loss),
      oodLoss: finite(r.summary.ood?.loss),
      oodAccuracy: finite(r.summary.ood?.accuracy),
      trainLoss: r.summary.trainLoss,
      wallSeconds: r.summary.wallSeconds,
      msPerStep: r.summary.msPerStepMedian,
      tokensPerSecond: r.summary.tokensPerSecond,
      optimizerStateBytes: r.summary.optimizerStateBytes,
      peakRssMiB: r.summary.peakRssBytes / 2 ** 20,
      artifactBytes: r.artifact?.bytes ?? null,
      error: r.error ?? null,
    }));
  const methods = methodResults(result, baselines);
  return {
    seeds: result.options.seeds,
    tuneSeeds: result.tuneSeeds,
    methods,
    scheduleFiles: scheduleFileResults(methods),
    seedBaselines: baselines,
    ranked,
    countBaselines: result.countBaselines,
  };
}

/** Moving average over a window of k points (training loss is noisy per batch). */
function smooth(points: [number, number][], k: number): [number, number][] {
  const out: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i][1];
    if (i >= k) sum -= points[i - k][1];
    out.push([points[i][0], sum / Math.min(i + 1, k)]);
  }
  return out;
}

/** Pointwise mean of curves over seeds, at the steps every curve has. */
export function meanCurve(curves: [number, number][][]): [number, number][] {
  if (curves.length === 0) return [];
  const maps = curves.map((c) => new Map(c));
  return curves[0]
    .filter(([step]) => maps.every((m) => m.has(step)))
    .map(([step]) => [step, maps.reduce((a, m) => a + m.get(step)!, 0) / maps.length]);
}

/** Training loss (smoothed) and held-out loss of each method at its selected setting, averaged over its seeds. */
export function lossCurvesSvg(result: CompareResult, report: CompareReport): string {
  const colors: Record<Family, string> = { adam: '#d62728', sgd: '#7f7f7f', graft: '#ff7f0e', static: '#1f77b4', hybrid: '#e377c2' };
  const staticColors = ['#1f77b4', '#2ca02c', '#9467bd', '#17becf', '#8c564b'];
  const series: Series[] = [];
  const k = Math.max(1, Math.round(result.options.steps / 30));
  let staticIndex = 0;
  // Legend labels: a variant is named by its tokens that not every variant shares ("static factored").
  const variants = report.methods.filter((m) => m.variant !== null).map((m) => m.variant!.split('-'));
  const shared = new Set(variants.length ? variants[0].filter((t) => variants.every((v) => v.includes(t))) : []);
  const short = (m: MethodResult) => [m.family, ...(m.variant?.split('-').filter((t) => !shared.has(t)) ?? [])].join(' ');
  for (const m of report.methods) {
    const runs = m.runs.map((name) => result.runs.find((r) => r.name === name)!).filter((r: CompareRun) => r.curve.length > 0);
    if (runs.length === 0) continue; // failed everywhere: nothing to draw
    const color = m.family === 'static' ? staticColors[staticIndex++ % staticColors.length] : colors[m.family];
    const label = short(m);
    series.push({ name: `${label} train`, points: smooth(meanCurve(runs.map((r) => r.curve)), k), color, width: 1.6, opacity: 0.8 });
    series.push({
      name: `${label} held-out`,
      points: meanCurve(runs.map((r) => r.evalCurve.map(([s, l]) => [s, l] as [number, number]))),
      color,
      width: 2.4,
      dash: '6 3',
    });
  }
  const seeds = report.seeds.length > 1 ? `, mean of ${report.seeds.length} seeds` : '';
  return lineChart({
    title: `MLM loss, ${result.options.preset}: each method at its selected setting${seeds}`,
    xLabel: 'step',
    yLabel: 'loss',
    series,
  });
}

export { reportMarkdown } from './report-md.js';
