/**
 * report.md of a comparison: the command first, then the methods ranked (mean ± sd over seeds), gap
 * closure, cost, each seed's baselines, every run, and the probes.
 */
import type { MethodResult, Stat } from './aggregate.js';
import type { CompareReport } from './report.js';
import type { CompareResult } from './run.js';

const n = (x: number | null, digits = 4): string => (x === null ? '-' : x.toFixed(digits));
const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const bytes = (x: number | null): string => (x === null ? '-' : `${x.toLocaleString('en-US')} B`);

/** meanSd, naming the seeds it covers when fewer than the method's `seeds` have the value (runs cached before it existed). */
function partialMeanSd(s: Stat, seeds: number): string {
  return s.n > 0 && s.n < seeds ? `${meanSd(s)} (${s.n} of ${seeds} seeds)` : meanSd(s);
}

/** "6.4377 ± 0.0123" (sd omitted for one seed); `scale` 100 for percentages. */
export function meanSd(s: Stat, digits = 4, scale = 1, unit = ''): string {
  if (s.mean === null) return '-';
  const m = (s.mean * scale).toFixed(digits) + unit;
  return s.sd === null ? m : `${m} ± ${(s.sd * scale).toFixed(digits)}${unit}`;
}

function settingText(m: MethodResult): string {
  if (m.family === 'static') return `scale ${m.setting}`;
  if (m.family === 'hybrid') return `scale ${m.setting}, Adam lr ${m.hybridAdamLr}`;
  return `lr ${m.setting}`;
}

const failedNote = (m: MethodResult): string => (m.failed > 0 ? ` (${m.failed} of ${m.seeds.length} seeds failed)` : '');

/** Wall seconds of every run and probe of the comparison (failed runs without a time count 0). */
function computeSeconds(result: CompareResult): number {
  const finite = (x: number) => (Number.isFinite(x) ? x : 0);
  return result.runs.reduce((t, r) => t + finite(r.summary.wallSeconds), 0) + result.probes.reduce((t, p) => t + finite(p.wallSeconds), 0);
}

/** One line: what count-based predictors score on the same masked positions (in-domain / out-of-domain). */
function countBaselinesLine(report: CompareReport): string {
  const { heldout, heldoutAtMask: atMask, ood } = report.countBaselines;
  if (heldout === null && ood === null) return 'No held-out evaluation: no count-based reference.';
  return (
    `For scale, on the same held-out masked positions (in-domain / out-of-domain), counted on the training split: ` +
    `unigram, which ignores the context, ${n(heldout?.unigram ?? null)} / ${n(ood?.unigram ?? null)}; ` +
    `a bigram on the left neighbour ${n(heldout?.leftBigram ?? null)} / ${n(ood?.leftBigram ?? null)}; ` +
    `at the in-domain [MASK] inputs alone, unigram ${n(atMask?.unigram ?? null)} and bigram ${n(atMask?.leftBigram ?? null)} ` +
    '(`src/run/eval/count-baselines.ts`).'
  );
}

export function reportMarkdown(result: CompareResult, report: CompareReport, command: string): string {
  const o = result.options;
  const seedsText = report.seeds.length === 1 ? `seed ${report.seeds[0]}` : `seeds ${report.seeds.join(', ')}`;
  const tuning =
    report.tuneSeeds.length === report.seeds.length
      ? 'Every seed ran every sweep; the setting with the lowest mean in-domain held-out loss over the seeds is reported.'
      : `The sweeps (Adam and SGD learning rates, static scales) ran on seed ${report.tuneSeeds.join(', ')} only; the best setting of each ` +
        'method there (by in-domain held-out loss) then ran on the other seeds (tune on the first seed; `--no-tune-seed-only` sweeps every seed).';
  const methodName = (m: MethodResult) => `${m.method}${failedNote(m)}`;
  const lines = [
    `# graftlr compare: ${o.preset}`,
    '',
    'Made by:',
    '',
    '```',
    command,
    '```',
    '',
    `${o.steps} steps per run, batch ${o.batchSize} x ${o.seqLen} tokens, ${seedsText}, engine ${o.engine}, ` +
      `base schedule warmup ${o.warmup} then ${o.decay}; corpus ${o.corpus === 'sotu' ? 'State of the Union' : o.corpus === 'moby-dick' ? 'Moby-Dick' : o.corpus.join(', ')}. ` +
      `Held-out: ${o.evalSequences} sequences per split (in-domain, out-of-domain). ${tuning} ` +
      `Each seed probes its own schedule (a static run of seed k uses the schedule probed with seed k). ` +
      `Values are mean ± sample sd over seeds. Runs and probes took ${(computeSeconds(result) / 60).toFixed(1)} min in all ` +
      `(this invocation ${(result.wallSeconds / 60).toFixed(1)} min; with --reuse, finished runs are read, not rerun).`,
    '',
    '## Methods ranked by mean held-out loss',
    '',
    '| # | method | setting | stateless | seeds | held-out loss | held-out acc | at [MASK] | OOD loss | OOD acc |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...report.methods.map(
      (m) =>
        `| ${m.rank} | ${methodName(m)} | ${settingText(m)} | ${m.stateless ? 'yes' : 'no'} | ${m.seeds.length} | ` +
        `${meanSd(m.heldoutLoss)} | ${meanSd(m.heldoutAccuracy, 1, 100, '%')} | ${partialMeanSd(m.atMaskLoss, m.seeds.length)} | ${meanSd(m.oodLoss)} | ${meanSd(m.oodAccuracy, 1, 100, '%')} |`,
    ),
    '',
    '"at [MASK]": the held-out loss at the positions whose input was [MASK], where the model has only the context ' +
      '(a model that ignores its context scores about the unigram loss there, whatever its overall loss).',
    '',
    countBaselinesLine(report),
    '',
    '## Gap closure',
    '',
    "`(loss_SGD - loss) / (loss_SGD - loss_Adam)`: per seed against that seed's best Adam and best SGD run, then mean ± sd; " +
      '"from means" uses the mean losses instead. 1.0 matches Adam, 0 is plain SGD; "-" where SGD is not worse than Adam.',
    '',
    '| method | stateless | in-domain (per seed) | out-of-domain (per seed) | in-domain (from means) | out-of-domain (from means) |',
    '|---|---|---|---|---|---|',
    ...report.methods.map(
      (m) =>
        `| ${methodName(m)} | ${m.stateless ? 'yes' : 'no'} | ${meanSd(m.gapClosure.heldout, 3)} | ${meanSd(m.gapClosure.ood, 3)} | ` +
        `${n(m.gapClosure.heldoutFromMeans, 3)} | ${n(m.gapClosure.oodFromMeans, 3)} |`,
    ),
    '',
    ...scheduleFilesSection(report),
    '## Cost',
    '',
    'Artifact: the `.graft` file a static (or hybrid) run reads. Optimizer state: bytes of per-parameter tensors the optimizer keeps. ' +
      'ms/step: median per run, mean over seeds (shared machine: compare within one report only). ' +
      "Probe state: the probe's magnitude optimizer state. Pipeline peak RSS: per seed the larger of the probe's and the training run's.",
    '',
    '| method | artifact | optimizer state | parameters with state | peak RSS | ms/step | probe state | pipeline peak RSS |',
    '|---|---|---|---|---|---|---|---|',
    ...report.methods.map(
      (m) =>
        `| ${m.method} | ${bytes(m.artifactBytes)} | ${bytes(m.optimizerStateBytes)} | ${pct(m.statefulFraction)} | ` +
        `${meanSd(m.peakRssMiB, 0, 1, ' MiB')} | ${meanSd(m.msPerStep, 0)} | ${bytes(m.probeStateBytes)} | ${meanSd(m.pipelinePeakRssMiB, 0, 1, ' MiB')} |`,
    ),
    '',
    '## Baselines per seed (best run of the seed, by in-domain held-out loss)',
    '',
    '| seed | Adam run | held-out | OOD | SGD run | held-out | OOD |',
    '|---|---|---|---|---|---|---|',
    ...report.seedBaselines.map(
      (b) =>
        `| ${b.seed} | ${b.adam?.run ?? '-'} | ${n(b.adam?.heldout ?? null)} | ${n(b.adam?.ood ?? null)} | ` +
        `${b.sgd?.run ?? '-'} | ${n(b.sgd?.heldout ?? null)} | ${n(b.sgd?.ood ?? null)} |`,
    ),
    '',
    '## All runs, ranked by held-out loss',
    '',
    '| # | run | seed | held-out loss | acc | at [MASK] | OOD loss | acc | train loss | ms/step | tokens/s | wall s | optimizer state | peak RSS | artifact |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.ranked.map((r) =>
      r.error !== null
        ? `| ${r.rank} | ${r.name} | ${r.seed} | failed: ${r.error.slice(0, 60).replace(/\|/g, '/')} ||||||||||||`
        : `| ${r.rank} | ${r.name} | ${r.seed} | ${n(r.heldoutLoss)} | ${pct(r.heldoutAccuracy)} | ${n(r.atMaskLoss)} | ${n(r.oodLoss)} | ${pct(r.oodAccuracy)} | ${n(r.trainLoss)} | ` +
          `${r.msPerStep.toFixed(0)} | ${r.tokensPerSecond.toFixed(0)} | ${r.wallSeconds.toFixed(0)} | ${r.optimizerStateBytes} B | ${r.peakRssMiB.toFixed(0)} MiB | ${r.artifactBytes === null ? '' : `${r.artifactBytes} B`} |`,
    ),
    '',
    '## Probes',
    '',
    ...result.probes.map(
      (p) => `- ${p.name}: ${p.steps} steps, ${p.wallSeconds.toFixed(0)} s, peak RSS ${(p.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    ),
    '',
    'Plots: `loss-curves.svg` / `.png` (training loss, smoothed, and held-out loss of each method at its selected setting, ' +
      'mean over its seeds; a variant is named there by the parts of its name that differ between variants), ' +
      '`multipliers-<variant>.svg` (the schedule of the first seed).',
    '',
  ];
  return lines.join('\n');
}

/** The transfer of schedules made elsewhere (--schedule-files), or nothing without them. */
function scheduleFilesSection(report: CompareReport): string[] {
  if (report.scheduleFiles.length === 0) return [];
  return [
    '## Schedules made elsewhere',
    '',
    `What each schedule file keeps of the gap closure of the best schedule probed here (static ${report.scheduleFiles[0].against}), ` +
      'per seed `closure_file / closure_probed`, then mean ± sd (1.0: as good as a schedule probed on this data). ' +
      "A factored file's runs start from the initial weights its probe started from, as `train` does by default; " +
      "the run's seed sets data order and masking.",
    '',
    '| schedule file | kept in-domain | kept out-of-domain |',
    '|---|---|---|',
    ...report.scheduleFiles.map((f) => `| ${f.variant} | ${meanSd(f.kept.heldout, 3)} | ${meanSd(f.kept.ood, 3)} |`),
    '',
  ];
}
