/**
 * graftlr extract: grafted probe (Adam#SGD) -> trace -> compressed static schedule artifact.
 */
import * as path from 'node:path';
import { extractSchedule } from '../run/probe/extract.js';
import { PROBE_SCHEMA } from '../run/probe/probe.js';
import { saveArtifact, saveTrace } from '../schedule/files.js';
import { artifactSummaryJson, formatArtifactTable } from '../schedule/inspect.js';
import { openMetricsLog } from '../run/train/metrics.js';
import { flag, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { setupBackend } from './common.js';
import { compressFlags, compressOptionsFrom } from './compress-flags.js';
import { progress } from './progress.js';
import { flagsOf, optionsFrom } from './schema-flags.js';
import { noPositionals, runFlags, runOptionsFrom } from './run-flags.js';
import { stopOnSignals } from './signals.js';

const flags: FlagSpecs = {
  ...runFlags,
  ...flagsOf(PROBE_SCHEMA),
  ...compressFlags,
  out: { type: 'string', help: 'artifact file (default runs/<preset>.graft; the trace goes beside it as .trace)' },
  json: { type: 'boolean', help: 'print the artifact summary as JSON instead of a table' },
};

export const extractCommand: Command = {
  name: 'extract',
  summary: 'run a grafted Adam#SGD probe and write a static per-layer schedule artifact',
  usage:
    'graftlr extract [--preset tiny] [--corpus sotu|moby-dick|<files>] [--steps N] [--total-steps N] [--method factorized|constant|piecewise] [--preconditioner none|factored] [--out file.graft]',
  details: [
    "Every probe step moves each parameter group in plain SGD's direction with the step length Adam would take.",
    'Per group it records ||u_Adam||, ||g|| and eta(t), and compresses them into a schedule that `graftlr train',
    "--schedule` applies with stateless SGD: by default Adam's step length m = ||u_Adam|| / eta(t), applied to the",
    'group-normalised gradient (--target stepNorm); or the implied SGD multiplier c = ||u_Adam|| / (eta(t) ||g||).',
    "With --preconditioner factored the artifact also keeps Adam's second moments at the probe end as row and column",
    'factors per matrix (whole vectors for biases and LayerNorm), and training steps along P * g, P = 1/sqrt(v~ + eps^2).',
    "By default no group's held per-coordinate step exceeds 2x the median group's (--cap-ratio; 0 turns it off). After the",
    "probe it measures each group's stability limit (--stability-batches) into the trace, for --cap-by curvature.",
    "Adam's step length comes from a lean Adam by default (--magnitude factored-adam-bf16: v as row and column",
    "statistics per matrix, m in bfloat16, a quarter of full Adam's state); --magnitude adam keeps both moments whole.",
    'Writes <out> (artifact), <out minus .graft>.trace (raw trace, re-compress with `graftlr compress`) and',
    '<out minus .graft>.metrics.jsonl (probe loss per step).',
  ].join('\n'),
  flags,
  async run(args, io) {
    noPositionals(args);
    const backend = await setupBackend(args, io);
    const preset = flag.str(args, 'preset') ?? 'tiny';
    const out = flag.str(args, 'out') ?? path.join('runs', `${preset}.graft`);
    const stem = out.endsWith('.graft') ? out.slice(0, -'.graft'.length) : out;
    const log = openMetricsLog(`${stem}.metrics.jsonl`);
    const stop = stopOnSignals(io);
    let bar: ReturnType<typeof progress> | undefined;
    let lastLoss = NaN;
    try {
      const result = await extractSchedule(
        {
          ...runOptionsFrom(args, backend),
          ...optionsFrom(PROBE_SCHEMA, args),
          compress: compressOptionsFrom(args),
        },
        {
          onStart: (info) => {
            const proxy = flag.int(args, 'proxy-layers') ?? 0;
            io.err(
              `engine: ${info.engine}; probing ${info.probeSteps} of ${info.totalSteps} planned steps on ${preset} with the ${info.magnitude} magnitude` +
                `${proxy > 0 ? ` (a ${proxy}-layer proxy of its ${info.config.numLayers} layers)` : ''} (${info.data.tokens.train} training tokens)`,
            );
            bar = progress('probe', info.probeSteps, io.err, { isTTY: process.stderr.isTTY });
          },
          onStep: (r) => {
            log.append(r);
            lastLoss = r.loss;
            bar?.update(r.step + 1, { loss: r.loss, lr: r.lr });
          },
          onMeasureStart: ({ groups, batches }) => {
            bar?.finish({ loss: lastLoss });
            bar = undefined;
            io.err(`measuring each group's stability limit (${groups} groups x ${batches} batches, forward passes only)`);
          },
          shouldStop: stop.shouldStop,
        },
      );
      bar?.finish({ loss: result.probe.lastLoss });
      saveTrace(`${stem}.trace`, result.probe.trace);
      const bytes = saveArtifact(out, result.artifact);
      if (flag.bool(args, 'json')) {
        io.out(JSON.stringify(artifactSummaryJson(result.artifact)));
      } else {
        io.out(formatArtifactTable(result.artifact));
      }
      if (result.probe.stopped) io.err(`stopped after ${result.probe.steps} probe steps; the schedule uses those samples`);
      io.err(`wrote ${out} (${bytes.length} bytes), ${stem}.trace, ${stem}.metrics.jsonl`);
      return 0;
    } finally {
      log.close();
      stop.release();
    }
  },
};
