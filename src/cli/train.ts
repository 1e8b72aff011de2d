/**
 * graftlr train: stateless SGD scaled per group by a schedule artifact (or a baseline optimizer).
 */
import * as path from 'node:path';
import { scheduleDataNotice } from '../schedule/data-notice.js';
import { loadArtifact } from '../schedule/files.js';
import { runTraining, type TrainSummary } from '../run/train/run.js';
import { TRAIN_SCHEMA, usesSchedule, type TrainOptions } from '../run/train/train-options.js';
import { flag, type FlagSpecs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { setupBackend } from './common.js';
import { progress } from './progress.js';
import { flagsOf, optionsFrom } from './schema-flags.js';
import { noPositionals, runFlags, runOptionsFrom } from './run-flags.js';
import { stopOnSignals } from './signals.js';

const flags: FlagSpecs = {
  ...runFlags,
  ...flagsOf(TRAIN_SCHEMA),
  json: { type: 'boolean', help: 'print the summary as JSON' },
};

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function formatSummary(s: TrainSummary): string {
  const lines = [
    `optimizer ${s.optimizer}, engine ${s.engine}, backend ${s.backend}: ${s.step}/${s.steps} steps${s.stopped ? ' (stopped)' : ''}`,
    `train loss (last 10%)   ${s.trainLoss.toFixed(4)}`,
  ];
  if (s.heldout)
    lines.push(`held-out loss / acc     ${s.heldout.loss.toFixed(4)} / ${pct(s.heldout.accuracy)}  (${s.heldout.tokens} tokens)`);
  if (s.heldoutAtMask)
    lines.push(
      `at [MASK] inputs        ${s.heldoutAtMask.loss.toFixed(4)} / ${pct(s.heldoutAtMask.accuracy)}  (${s.heldoutAtMask.tokens} held-out tokens: the context alone)`,
    );
  if (s.ood) lines.push(`out-of-domain loss/acc  ${s.ood.loss.toFixed(4)} / ${pct(s.ood.accuracy)}  (${s.ood.tokens} tokens)`);
  lines.push(
    `speed                   ${s.msPerStepMedian.toFixed(0)} ms/step, ${s.tokensPerSecond.toFixed(0)} tokens/s, wall ${s.wallSeconds.toFixed(1)} s`,
    `optimizer state         ${s.optimizerStateBytes.toLocaleString('en-US')} bytes (${pct(s.statefulParams / s.paramCount)} of ${s.paramCount.toLocaleString('en-US')} parameters carry state)`,
    `peak RSS                ${(s.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  if (s.outDir) lines.push(`run folder              ${s.outDir}`);
  return lines.join('\n');
}

/**
 * Runs training with a progress bar on stderr; shared by `train` and the main job. A schedule given as a path
 * is read here (errors name the file), so the start line can say when it was extracted on other data.
 */
export async function trainWithProgress(options: Parameters<typeof runTraining>[0], io: CommandIo, label = 'train'): Promise<TrainSummary> {
  const schedule =
    typeof options.schedule === 'string' && usesSchedule(options.optimizer ?? 'static') ? loadArtifact(options.schedule) : options.schedule;
  const stop = stopOnSignals(io);
  let bar: ReturnType<typeof progress> | undefined;
  try {
    const summary = await runTraining(
      { ...options, schedule },
      {
        onStart: (info) => {
          io.err(
            `engine: ${info.engine}; ${info.paramCount} parameters; optimizer state: ${info.optimizerStateBytes} bytes` +
              (info.startStep > 0 ? `; resuming at step ${info.startStep}` : ''),
          );
          const notice =
            typeof schedule === 'object'
              ? scheduleDataNotice(schedule.probe.dataFingerprint, info.dataFingerprint, info.scheduleTokens)
              : undefined;
          if (notice) io.err(notice);
          bar = progress(label, info.steps, io.err, { isTTY: process.stderr.isTTY });
        },
        onStep: (r) => {
          const fields: Record<string, number | string> = { loss: r.loss, lr: r.lr, 'tok/s': Math.round(r.tokens / (r.ms / 1000)) };
          if (r.eval?.heldoutLoss !== undefined) fields.heldout = r.eval.heldoutLoss;
          bar?.update(r.step + 1, fields);
        },
        onCheckpoint: (c) => {
          if (c.reason !== 'periodic') io.err(`checkpoint (${c.reason}) at step ${c.step}: ${c.file}`);
        },
        onNotice: (message) => io.err(message),
        shouldStop: stop.shouldStop,
      },
    );
    if (summary.nothingToDo) {
      io.err(`${label}: ${summary.outDir} already finished all ${summary.steps} steps: nothing to do; its stored summary follows`);
      return summary;
    }
    bar?.finish({ loss: summary.lastLoss });
    return summary;
  } finally {
    stop.release();
  }
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a BERT-style MLM with stateless scheduled SGD (or sgd/adam/graft baselines)',
  usage: 'graftlr train --schedule <artifact> [--preset tiny] [--steps N] [--out runs/<name>] [--resume] [options]',
  details: [
    'static: w_G <- w_G - eta(t) * c_G(t) * g_G, with eta the base schedule stretched to this run and c_G the',
    "artifact's multipliers. The optimizer state is the step count: 0 bytes. Checkpoints are written atomically",
    'every --checkpoint-every steps and on Ctrl-C; --resume continues bit-identically (same seed, same backend).',
  ].join('\n'),
  flags,
  async run(args, io) {
    noPositionals(args);
    const backend = await setupBackend(args, io);
    const run = runOptionsFrom(args, backend);
    const options = optionsFrom(TRAIN_SCHEMA, args) as Partial<TrainOptions>;
    const summary = await trainWithProgress(
      {
        ...run,
        ...options,
        outDir: options.outDir ?? path.join('runs', `${options.optimizer}-${run.preset}`),
      },
      io,
    );
    io.out(flag.bool(args, 'json') ? JSON.stringify(summary) : formatSummary(summary));
    return summary.stopped ? 130 : 0;
  },
};
