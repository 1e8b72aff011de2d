/**
 * graftlr compare: Adam vs plain SGD vs online Adam#SGD vs SGD + static schedule, side by side.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../formats/atomic.js';
import { plotArtifact } from '../plot/artifact-plot.js';
import { COMPARE_SCHEMA, type CompareOptions } from '../experiments/compare/options.js';
import { buildReport, lossCurvesSvg, reportMarkdown } from '../experiments/compare/report.js';
import { meanSd } from '../experiments/compare/report-md.js';
import { runCompare, type CompareRun, type ProbeRun } from '../experiments/compare/run.js';
import { loadArtifact } from '../schedule/files.js';
import { flag, type FlagSpecs, type ParsedArgs } from './args.js';
import type { Command } from './command.js';
import { setupBackend } from './common.js';
import { writeChart } from './inspect.js';
import { progress, type Progress } from './progress.js';
import { flagsOf, optionsFrom } from './schema-flags.js';
import { noPositionals, runFlags, runOptionsFrom } from './run-flags.js';

const flags: FlagSpecs = {
  ...runFlags,
  ...flagsOf(COMPARE_SCHEMA),
  out: { type: 'string', help: 'report folder (default runs/compare-<preset>)' },
  json: { type: 'boolean', help: 'print report.json to stdout' },
};

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
    const result = await runCompare(
      {
        ...runOptionsFrom(args, backend),
        ...(optionsFrom(COMPARE_SCHEMA, args) as Partial<CompareOptions>),
        outDir,
      },
      {
        onRunStart: (name, i, total, steps) => {
          io.err(`[${i + 1}/${total}] ${name}`);
          bar = progress(`  ${name}`, steps, io.err, { isTTY: process.stderr.isTTY, everySeconds: 30 });
          stepped = false;
        },
        onProgress: (done) => {
          stepped = true;
          bar?.update(done);
        },
        onRunEnd: (r) => {
          // A run read back with --reuse reports no steps: say so instead of a bar with millions of it/s.
          if (stepped) bar?.finish();
          else if (!('error' in r && r.error)) io.err('  reused (--reuse): finished earlier with identical options');
          const line = runEndLine(r);
          if (line) io.err(line);
        },
      },
    );
    const report = buildReport(result);
    const command = commandLine(args, { out: outDir });
    writeFileAtomic(path.join(outDir, 'report.md'), reportMarkdown(result, report, command));
    writeFileAtomic(
      path.join(outDir, 'report.json'),
      JSON.stringify({ command, options: result.options, wallSeconds: result.wallSeconds, ...report }, null, 2) + '\n',
    );
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
        io.out(
          `${m.rank}. ${m.method.padEnd(48)} ${m.stateless ? 'stateless' : 'stateful '}  held-out ${meanSd(m.heldoutLoss)}  ood ${meanSd(m.oodLoss)}  ` +
            `gap closure ${meanSd(m.gapClosure.heldout, 3)} / ${meanSd(m.gapClosure.ood, 3)}`,
        );
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
