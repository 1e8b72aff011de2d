/**
 * graftlr inspect <artifact>: provenance and per-group table, JSON, or a plot (SVG or PNG).
 */
import { writeFileAtomic } from '../formats/atomic.js';
import { plotArtifact } from '../plot/artifact-plot.js';
import { renderPng } from '../plot/png.js';
import { printableDeep } from '../core/printable.js';
import { loadArtifact, loadTrace } from '../schedule/files.js';
import { artifactSummaryJson, formatArtifactTable } from '../schedule/inspect.js';
import { flag, UsageError } from './args.js';
import type { Command } from './command.js';

/** Writes an SVG chart to `file` as .svg or rendered .png. */
export function writeChart(file: string, svg: string): void {
  if (file.endsWith('.svg')) writeFileAtomic(file, svg);
  else if (file.endsWith('.png')) writeFileAtomic(file, renderPng(svg, 1.5));
  else throw new UsageError(`--plot ${file}: expected a file name ending in .png or .svg`);
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show a schedule artifact: provenance, per-group multipliers, spread and flags; plot it',
  usage: 'graftlr inspect <artifact> [--plot out.png|out.svg [--trace file.trace]] [--json]',
  details:
    "The plot shows the schedule and the probe trace in the artifact's own quantity: multipliers c_G, or\n" +
    'step norms m_G = ||u_Adam[G]|| / eta (the default target). The artifact keeps its trace as multipliers only,\n' +
    "so a step-norm trace is drawn when --trace names the probe's .trace file. Strings from the file are\n" +
    'printed with control characters escaped.',
  flags: {
    plot: { type: 'string', help: 'draw per-group probe traces and the compressed schedule into a .png or .svg' },
    trace: {
      type: 'string',
      help: "the probe trace (.trace) written with the artifact: --plot draws a step-norm artifact's trace from it",
    },
    json: { type: 'boolean', help: 'print a stable JSON summary instead of the table' },
  },
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one artifact file');
    const artifact = loadArtifact(args.positionals[0]);
    // Every string of the file (created-at, tool, group names, ...) with control characters escaped, for
    // the table and the plot's labels; --json prints the file's own strings (JSON escapes them itself).
    const shown = printableDeep(artifact);
    const plot = flag.str(args, 'plot');
    const traceFile = flag.str(args, 'trace');
    if (traceFile !== undefined && plot === undefined) throw new UsageError('--trace is only used with --plot');
    if (plot !== undefined) {
      const trace = traceFile === undefined ? undefined : loadTrace(traceFile);
      writeChart(plot, plotArtifact(shown, { trace }));
      io.err(`wrote ${plot}`);
    }
    io.out(flag.bool(args, 'json') ? JSON.stringify(artifactSummaryJson(artifact)) : formatArtifactTable(shown));
    return 0;
  },
};
