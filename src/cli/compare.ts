/**
 * graftlr compare: Adam vs plain SGD vs online Adam#SGD vs SGD + static schedule, side by side.
 */
import * as path from 'node:path';
import { MAGNITUDES } from '../engine/ort/host-factored.js';
import { writeFileAtomic } from '../io/atomic.js';
import { plotArtifact } from '../plot/artifact-plot.js';
import { COMPARE_DEFAULTS } from '../compare/options.js';
import { PRECONDITIONER_KINDS } from '../schedule/compress.js';
import { CAP_BASES } from '../schedule/stability.js';
import { buildReport, lossCurvesSvg, reportMarkdown } from '../compare/report.js';
import { meanSd } from '../compare/report-md.js';
import { runCompare, type CompareRun, type ProbeRun } from '../compare/run.js';
import { loadArtifact } from '../schedule/files.js';
import { flag, UsageError, type FlagSpecs, type ParsedArgs } from './args.js';
import type { Command } from './command.js';
import { setupBackend } from './common.js';
import { writeChart } from './inspect.js';
import { progress, type Progress } from './progress.js';
import { noPositionals, runFlags, runOptionsFrom } from './run-flags.js';

const d = COMPARE_DEFAULTS;
const list = (help: string, values: readonly (string | number)[]) => ({ type: 'list' as const, help, default: values.map(String) });

const flags: FlagSpecs = {
  ...runFlags,
  steps: { type: 'int', min: 2, default: d.steps, help: 'training steps of every run' },
  warmup: { type: 'number', min: 0, max: 0.99, default: d.warmup, help: 'base schedule warmup fraction (all methods)' },
  decay: { type: 'string', choices: ['linear', 'cosine', 'constant', 'inverse-sqrt'], default: d.decay, help: 'base schedule after warmup' },
  'adam-lrs': list('Adam peak learning rates swept', d.adamLrs),
  'sgd-lrs': list('plain SGD peak learning rates swept', d.sgdLrs),
  'static-scales': list('global scales on the static multipliers swept', d.staticScales),
  'probe-fractions': list('probe lengths, as fractions of --steps', d.probeFractions),
  groupings: list('schedule groupings: tensor, block, type, global', d.groupings),
  magnitudes: list("the probe's magnitudes: adam, factored-adam (v as row/column statistics), factored-rms (no first moment either); variants named -<magnitude>", ['adam']),
  'proxy-layers': list('probe shallower copies of the model with these many encoder layers (0: the model itself); variants named -proxy<N>', [0]),
  methods: list('compression methods: constant, piecewise, factorized', d.methods),
  'skip-fractions': list('transient share of the probe skipped by compression', d.skipFractions),
  targets: list('schedule targets: multiplier (per-group SGD rates), stepNorm (step lengths on normalised gradients)', d.targets),
  preconditioners: list('fixed per-coordinate preconditioners: none, factored (Adam\'s second moments at the probe end as row/column factors; step-norm targets only)', d.preconditioners),
  'preconditioner-eps': list('factored: eps ratios swept (eps per tensor as a share of sqrt(its typical v~); caps P at 1/ratio times the typical coordinate\'s)', d.preconditionerEps),
  'cap-ratios': list('stability caps swept: no group above this multiple of the median group multiplier (step norms: of the median per-coordinate step m/sqrt(size)); 0: off', d.capRatios),
  'cap-by': list('what each cap compares: size (the per-coordinate step, or the multiplier), curvature (the step over the stability limit the probe measures at its end; variants named -curvcap<r>)', ['size']),
  'zero-grad-tol': { type: 'number', min: 0, max: 0.99, default: d.zeroGradTol, help: 'groups with gradient RMS below this share of the median group\'s get the fallback multiplier' },
  reuse: { type: 'boolean', default: false, help: 'reuse runs already in --out with identical options, finished or diverged (add variants without rerunning baselines)' },
  'max-multiplier': { type: 'number', min: 0, default: d.maxMultiplier, help: 'clamp multipliers from above' },
  'min-multiplier': { type: 'number', min: 0, default: d.minMultiplier, help: 'clamp multipliers from below' },
  'eval-points': { type: 'int', min: 1, default: d.evalPoints, help: 'held-out evaluations per run' },
  graft: { type: 'boolean', default: true, help: 'include online Adam#SGD (--no-graft to skip)' },
  seeds: { type: 'list', help: 'seeds of every method, e.g. 0,1,2 (default: --seed); the report gives mean ± sd over them' },
  'tune-seed-only': { type: 'boolean', default: d.tuneSeedOnly, help: 'sweep on the first seed only, then run each method\'s best setting on the other seeds (--no-tune-seed-only: every seed sweeps)' },
  'include-hybrid': { type: 'boolean', default: d.includeHybrid, help: 'include the hybrid reference (Adam state for LayerNorm and biases, NOT stateless) at the best static scale (--no-include-hybrid to skip)' },
  'hybrid-adam-lr': { type: 'number', min: 0, max: 1, help: 'peak Adam rate of the hybrid\'s LayerNorm and bias tensors (default: the best Adam lr of the sweep)' },
  out: { type: 'string', help: 'report folder (default runs/compare-<preset>)' },
  json: { type: 'boolean', help: 'print report.json to stdout' },
};

function numbers(args: ParsedArgs, name: string): number[] {
  return (flag.list(args, name) ?? []).map((s) => {
    const x = Number(s);
    if (!Number.isFinite(x)) throw new UsageError(`--${name}: "${s}" is not a number`);
    return x;
  });
}

function choices<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[]): T[] {
  return (flag.list(args, name) ?? []).map((s) => {
    if (!allowed.includes(s as T)) throw new UsageError(`--${name}: "${s}" is not one of ${allowed.join(', ')}`);
    return s as T;
  });
}

/** `graftlr compare` with every flag that differs from its default (the full options are in report.json). */
export function commandLine(args: ParsedArgs, resolved: Record<string, string> = {}): string {
  const parts = ['graftlr', 'compare'];
  for (const [name, spec] of Object.entries(flags)) {
    if (name === 'json') continue;
    const value = resolved[name] ?? args.flags[name];
    if (value === undefined || JSON.stringify(value) === JSON.stringify(spec.default)) continue;
    if (spec.type === 'boolean') parts.push(value ? `--${name}` : `--no-${name}`);
    else parts.push(`--${name}`, Array.isArray(value) ? value.join(',') : String(value));
  }
  return parts.join(' ');
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'Adam vs SGD vs online Adam#SGD vs SGD + static schedule: same data, seed and budget; writes a report',
  usage: 'graftlr compare [--preset tiny] [--steps N] [--out runs/compare-tiny] [options]',
  details: [
    'Adam and plain SGD get a small learning-rate sweep; static SGD gets the same-sized sweep of a global scale on its',
    'multipliers. The best Adam lr drives the online graft and the probe. Every run is its own process (peak RSS per run).',
    'Seeds (--seeds 0,1,2): every run and every probe runs per seed (seed k trains with the schedule probed with seed k).',
    'By default the sweeps run on the first seed only and the best setting of each method (by in-domain held-out loss)',
    'then runs on the remaining seeds; --no-tune-seed-only sweeps every seed and picks by the mean over seeds.',
    'The report ranks the methods by mean held-out loss (mean ± sd over seeds), with gap closure per seed against that',
    "seed's best Adam and SGD, artifact size, optimizer state, peak RSS and ms/step, and says which methods are stateless.",
    'Writes report.md, report.json, loss-curves.svg/.png and multipliers-<variant>.svg into --out; runs are cached there (--reuse).',
  ].join('\n'),
  flags,
  async run(args, io) {
    noPositionals(args);
    const backend = await setupBackend(args, io);
    const preset = flag.str(args, 'preset') ?? 'tiny';
    const outDir = flag.str(args, 'out') ?? path.join('runs', `compare-${preset}`);
    let bar: Progress | undefined;
    let stepped = false;
    const result = await runCompare({
      ...runOptionsFrom(args, backend),
      steps: flag.int(args, 'steps'), warmup: flag.num(args, 'warmup'), decay: flag.str(args, 'decay') as 'linear',
      adamLrs: numbers(args, 'adam-lrs'), sgdLrs: numbers(args, 'sgd-lrs'), staticScales: numbers(args, 'static-scales'),
      probeFractions: numbers(args, 'probe-fractions'), skipFractions: numbers(args, 'skip-fractions'),
      groupings: choices(args, 'groupings', ['tensor', 'block', 'type', 'global'] as const),
      magnitudes: choices(args, 'magnitudes', MAGNITUDES), proxyLayers: numbers(args, 'proxy-layers'),
      methods: choices(args, 'methods', ['constant', 'piecewise', 'factorized'] as const),
      targets: choices(args, 'targets', ['multiplier', 'stepNorm'] as const), preconditioners: choices(args, 'preconditioners', PRECONDITIONER_KINDS), preconditionerEps: numbers(args, 'preconditioner-eps'), capRatios: numbers(args, 'cap-ratios'), capBases: choices(args, 'cap-by', CAP_BASES), zeroGradTol: flag.num(args, 'zero-grad-tol'), reuse: flag.bool(args, 'reuse'),
      maxMultiplier: flag.num(args, 'max-multiplier'), minMultiplier: flag.num(args, 'min-multiplier'),
      evalPoints: flag.int(args, 'eval-points'), includeGraft: flag.bool(args, 'graft'), outDir,
      seeds: flag.list(args, 'seeds') === undefined ? undefined : numbers(args, 'seeds'), tuneSeedOnly: flag.bool(args, 'tune-seed-only'),
      includeHybrid: flag.bool(args, 'include-hybrid'), hybridAdamLr: flag.num(args, 'hybrid-adam-lr'),
    }, {
      onRunStart: (name, i, total, steps) => {
        io.err(`[${i + 1}/${total}] ${name}`);
        bar = progress(`  ${name}`, steps, io.err, { isTTY: process.stderr.isTTY, everySeconds: 30 });
        stepped = false;
      },
      onProgress: (done) => { stepped = true; bar?.update(done); },
      onRunEnd: (r) => {
        // A run read back with --reuse reports no steps: say so instead of a bar with millions of it/s.
        if (stepped) bar?.finish();
        else if (!('error' in r && r.error)) io.err('  reused (--reuse): finished earlier with identical options');
        const line = runEndLine(r);
        if (line) io.err(line);
      },
    });
    const report = buildReport(result);
    const command = commandLine(args, { out: outDir });
    writeFileAtomic(path.join(outDir, 'report.md'), reportMarkdown(result, report, command));
    writeFileAtomic(path.join(outDir, 'report.json'), JSON.stringify({ command, options: result.options, wallSeconds: result.wallSeconds, ...report }, null, 2) + '\n');
    const curves = lossCurvesSvg(result, report);
    writeChart(path.join(outDir, 'loss-curves.svg'), curves);
    writeChart(path.join(outDir, 'loss-curves.png'), curves);
    for (const m of report.methods.filter((x) => x.family === 'static')) {
      const run = result.runs.find((r) => r.name === m.runs[0]);
      if (run?.artifact) writeChart(path.join(outDir, `multipliers-${m.variant}.svg`), plotArtifact(loadArtifact(run.artifact.path)));
    }
    if (flag.bool(args, 'json')) io.out(JSON.stringify(report));
    else {
      for (const m of report.methods) {
        io.out(`${m.rank}. ${m.method.padEnd(48)} ${m.stateless ? 'stateless' : 'stateful '}  held-out ${meanSd(m.heldoutLoss)}  ood ${meanSd(m.oodLoss)}  ` +
          `gap closure ${meanSd(m.gapClosure.heldout, 3)} / ${meanSd(m.gapClosure.ood, 3)}`);
      }
      io.out(`report: ${path.join(outDir, 'report.md')}`);
    }
    return 0;
  },
};

/** The line printed after a run: its held-out loss and speed, or why it failed (probes print none). */
export function runEndLine(r: CompareRun | ProbeRun): string | undefined {
  if (!('summary' in r)) return undefined;
  if (r.error) return `  failed (counts as the worst setting of its sweep): ${r.error}`;
  return `  held-out loss ${r.summary.heldout?.loss.toFixed(4) ?? '-'}, ${r.summary.msPerStepMedian.toFixed(0)} ms/step`;
}
