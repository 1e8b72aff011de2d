/**
 * The compare report: best run per method, gap closure, every run ranked, and the plots' data.
 *   gap closure = (loss_SGD - loss_static) / (loss_SGD - loss_Adam)   (1.0: static SGD matches Adam)
 */
import { lineChart, type Series } from '../plot/chart.js';
import { selectionLoss, type CompareResult, type CompareRun, type Family } from './run.js';

export interface MethodBest {
  family: Family;
  variant: string | null;
  name: string;
  setting: number;
  heldoutLoss: number | null;
  heldoutAccuracy: number | null;
  oodLoss: number | null;
  oodAccuracy: number | null;
}

export interface GapClosure {
  variant: string;
  heldout: number | null;
  ood: number | null;
}

export interface CompareReport {
  best: MethodBest[];
  gapClosure: GapClosure[];
  ranked: {
    rank: number; name: string; family: Family; variant: string | null; setting: number;
    heldoutLoss: number | null; heldoutAccuracy: number | null; oodLoss: number | null; oodAccuracy: number | null;
    trainLoss: number; wallSeconds: number; msPerStep: number; tokensPerSecond: number;
    optimizerStateBytes: number; peakRssMiB: number; artifactBytes: number | null; error: string | null;
  }[];
}

const finite = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

function bestOf(runs: CompareRun[]): CompareRun | undefined {
  return runs.length === 0 ? undefined : runs.reduce((a, b) => (selectionLoss(b) < selectionLoss(a) ? b : a));
}

function describeBest(r: CompareRun): MethodBest {
  return {
    family: r.family, variant: r.variant ?? null, name: r.name, setting: r.setting,
    heldoutLoss: finite(r.summary.heldout?.loss), heldoutAccuracy: finite(r.summary.heldout?.accuracy),
    oodLoss: finite(r.summary.ood?.loss), oodAccuracy: finite(r.summary.ood?.accuracy),
  };
}

/** (sgd - x) / (sgd - adam), or null when undefined (missing numbers or no gap to close). */
export function gapClosure(sgd: number | null, adam: number | null, x: number | null): number | null {
  if (sgd === null || adam === null || x === null || sgd - adam <= 0) return null;
  return (sgd - x) / (sgd - adam);
}

export function buildReport(result: CompareResult): CompareReport {
  const of = (f: Family) => result.runs.filter((r) => r.family === f);
  const best: MethodBest[] = [];
  for (const f of ['adam', 'sgd', 'graft'] as const) {
    const b = bestOf(of(f));
    if (b) best.push(describeBest(b));
  }
  const variants = [...new Set(of('static').map((r) => r.variant ?? ''))];
  for (const v of variants) best.push(describeBest(bestOf(of('static').filter((r) => r.variant === v))!));
  const adam = best.find((b) => b.family === 'adam') ?? null;
  const sgd = best.find((b) => b.family === 'sgd') ?? null;
  const gap = best.filter((b) => b.family === 'static').map((b) => ({
    variant: b.variant ?? '',
    heldout: gapClosure(sgd?.heldoutLoss ?? null, adam?.heldoutLoss ?? null, b.heldoutLoss),
    ood: gapClosure(sgd?.oodLoss ?? null, adam?.oodLoss ?? null, b.oodLoss),
  }));
  const ranked = [...result.runs].sort((a, b) => selectionLoss(a) - selectionLoss(b)).map((r, i) => ({
    rank: i + 1, name: r.name, family: r.family, variant: r.variant ?? null, setting: r.setting,
    heldoutLoss: finite(r.summary.heldout?.loss), heldoutAccuracy: finite(r.summary.heldout?.accuracy),
    oodLoss: finite(r.summary.ood?.loss), oodAccuracy: finite(r.summary.ood?.accuracy),
    trainLoss: r.summary.trainLoss, wallSeconds: r.summary.wallSeconds, msPerStep: r.summary.msPerStepMedian,
    tokensPerSecond: r.summary.tokensPerSecond, optimizerStateBytes: r.summary.optimizerStateBytes,
    peakRssMiB: r.summary.peakRssBytes / 2 ** 20, artifactBytes: r.artifact?.bytes ?? null, error: r.error ?? null,
  }));
  return { best, gapClosure: gap, ranked };
}

const n = (x: number | null, digits = 4): string => (x === null ? '-' : x.toFixed(digits));
const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

export function reportMarkdown(result: CompareResult, report: CompareReport, command: string): string {
  const o = result.options;
  const lines = [
    `# graftlr compare: ${o.preset}`,
    '',
    `Command: \`${command}\``,
    '',
    `${o.steps} steps per run, batch ${o.batchSize} x ${o.seqLen} tokens, seed ${o.seed}, engine ${o.engine}, ` +
      `base schedule warmup ${o.warmup} then ${o.decay}; corpus ${o.corpus === 'sotu' ? 'State of the Union' : o.corpus.join(', ')}. ` +
      `Held-out: ${o.evalSequences} sequences per split (in-domain, out-of-domain). Best of each sweep chosen by in-domain held-out loss. ` +
      `Total wall time ${(result.wallSeconds / 60).toFixed(1)} min.`,
    '',
    '## Best of each method',
    '',
    '| method | variant | setting | held-out loss | held-out acc | OOD loss | OOD acc |',
    '|---|---|---|---|---|---|---|',
    ...report.best.map((b) => `| ${b.family} | ${b.variant ?? ''} | ${b.family === 'static' ? `scale ${b.setting}` : `lr ${b.setting}`} | ${n(b.heldoutLoss)} | ${pct(b.heldoutAccuracy)} | ${n(b.oodLoss)} | ${pct(b.oodAccuracy)} |`),
    '',
    '## Gap closure of static SGD',
    '',
    '`(loss_SGD - loss_static) / (loss_SGD - loss_Adam)` with the best run of each sweep; 1.0 means static SGD matches Adam.',
    '',
    '| variant | in-domain | out-of-domain |',
    '|---|---|---|',
    ...report.gapClosure.map((g) => `| ${g.variant} | ${n(g.heldout, 3)} | ${n(g.ood, 3)} |`),
    '',
    '## All runs, ranked by held-out loss',
    '',
    '| # | run | held-out loss | acc | OOD loss | acc | train loss | ms/step | tokens/s | wall s | optimizer state | peak RSS | artifact |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.ranked.map((r) => r.error !== null ? `| ${r.rank} | ${r.name} | failed: ${r.error.slice(0, 60).replace(/\|/g, '/')} |||||||||||` : `| ${r.rank} | ${r.name} | ${n(r.heldoutLoss)} | ${pct(r.heldoutAccuracy)} | ${n(r.oodLoss)} | ${pct(r.oodAccuracy)} | ${n(r.trainLoss)} | ${r.msPerStep.toFixed(0)} | ${r.tokensPerSecond.toFixed(0)} | ${r.wallSeconds.toFixed(0)} | ${r.optimizerStateBytes} B | ${r.peakRssMiB.toFixed(0)} MiB | ${r.artifactBytes === null ? '' : `${r.artifactBytes} B`} |`),
    '',
    '## Probes',
    '',
    ...result.probes.map((p) => `- ${p.name}: ${p.steps} steps, ${p.wallSeconds.toFixed(0)} s, peak RSS ${(p.peakRssBytes / 2 ** 20).toFixed(0)} MiB`),
    '',
    'Plots: `loss-curves.svg` (training loss, smoothed, and held-out loss of the best run per method), `multipliers-<variant>.svg`.',
    '',
  ];
  return lines.join('\n');
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

export function lossCurvesSvg(result: CompareResult, report: CompareReport): string {
  const colors: Record<Family, string> = { adam: '#d62728', sgd: '#7f7f7f', graft: '#ff7f0e', static: '#1f77b4' };
  const series: Series[] = [];
  const k = Math.max(1, Math.round(result.options.steps / 30));
  report.best.forEach((b, i) => {
    const run = result.runs.find((r) => r.name === b.name)!;
    if (run.curve.length === 0) return; // failed run: nothing to draw
    const color = b.family === 'static' && i > 0 ? ['#1f77b4', '#2ca02c', '#9467bd', '#17becf', '#8c564b'][i % 5] : colors[b.family];
    series.push({ name: `${b.name} (train)`, points: smooth(run.curve, k), color, width: 1.6, opacity: 0.8 });
    series.push({ name: `${b.name} (held-out)`, points: run.evalCurve.map(([s, l]) => [s, l]), color, width: 2.4, dash: '6 3' });
  });
  return lineChart({ title: `MLM loss, ${result.options.preset}: best run of each method`, xLabel: 'step', yLabel: 'loss', series });
}
