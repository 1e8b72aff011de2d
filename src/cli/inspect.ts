/**
 * graftlr inspect <artifact>: provenance and per-group table, JSON, or a plot (SVG or PNG).
 */
import { writeFileAtomic } from '../io/atomic.js';
import { plotArtifact } from '../plot/artifact-plot.js';
import { renderPng } from '../plot/png.js';
import { loadArtifact } from '../schedule/files.js';
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
  usage: 'graftlr inspect <artifact> [--plot out.png|out.svg] [--json]',
  flags: {
    plot: { type: 'string', help: 'draw per-group ratio traces and the compressed schedule into a .png or .svg' },
    json: { type: 'boolean', help: 'print a stable JSON summary instead of the table' },
  },
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one artifact file');
    const artifact = loadArtifact(args.positionals[0]);
    const plot = flag.str(args, 'plot');
    if (plot !== undefined) {
      writeChart(plot, plotArtifact(artifact));
      io.err(`wrote ${plot}`);
    }
    io.out(flag.bool(args, 'json') ? JSON.stringify(artifactSummaryJson(artifact)) : formatArtifactTable(artifact));
    return 0;
  },
};
