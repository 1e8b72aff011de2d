/**
 * graftlr compress <trace>: re-compress a saved probe trace into a schedule artifact without re-probing.
 */
import { buildArtifact } from '../schedule/artifact.js';
import { compressTrace } from '../schedule/compress.js';
import { loadTrace, saveArtifact } from '../schedule/files.js';
import { artifactSummaryJson, formatArtifactTable } from '../schedule/inspect.js';
import { flag, UsageError } from './args.js';
import type { Command } from './command.js';
import { compressFlags, compressOptionsFrom } from './compress-flags.js';

export const compressCommand: Command = {
  name: 'compress',
  summary: 're-compress a probe trace (.trace) into a schedule artifact with another method or window',
  usage: 'graftlr compress <trace> [--method constant|piecewise|factorized] [--preconditioner none|factored] [--out <artifact>]',
  flags: {
    ...compressFlags,
    out: { type: 'string', help: 'artifact to write (default: the trace path with .graft)' },
    json: { type: 'boolean', help: 'print the artifact summary as JSON instead of a table' },
  },
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one trace file (made by graftlr extract)');
    const tracePath = args.positionals[0];
    const out = flag.str(args, 'out') ?? (tracePath.endsWith('.trace') ? tracePath.slice(0, -6) : tracePath) + '.graft';
    const trace = loadTrace(tracePath);
    const artifact = buildArtifact({ trace, compressed: compressTrace(trace, compressOptionsFrom(args)) });
    const bytes = saveArtifact(out, artifact);
    io.out(flag.bool(args, 'json') ? JSON.stringify(artifactSummaryJson(artifact)) : formatArtifactTable(artifact));
    io.err(`wrote ${out} (${bytes.length} bytes)`);
    return 0;
  },
};
