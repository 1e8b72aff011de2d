/**
 * graftlr train: stateless SGD scaled per group by a schedule artifact (or a baseline optimizer).
 */
import * as path from 'node:path';
import { scheduleDataNotice } from '../schedule/data-notice.js';
import { loadArtifact } from '../schedule/files.js';
import { runTraining, type TrainSummary } from '../train/run.js';
import { usesSchedule, type TrainOptimizerName } from '../train/train-options.js';
import { flag, type FlagSpecs } from './args.js';
import type { Command, CommandIo } from './command.js';
import { setupBackend } from './common.js';
import { progress } from './progress.js';
import { noPositionals, runFlags, runOptionsFrom } from './run-flags.js';
import { stopOnSignals } from './signals.js';

const flags: FlagSpecs = {
  ...runFlags,
  schedule: { type: 'string', help: 'schedule artifact from graftlr extract (for --optimizer static or hybrid)' },
  optimizer: {
    type: 'string', choices: ['static', 'sgd', 'adam', 'graft', 'hybrid'], default: 'static',
    help: 'static: SGD x artifact multipliers, no state; sgd; adam; graft: online Adam#SGD; hybrid: static + Adam state for LayerNorm and biases (a reference, NOT stateless)',
  },
  steps: { type: 'int', min: 1, default: 1000, help: 'training steps' },
  lr: { type: 'number', min: 0, help: "peak of the base schedule (default: static -> the artifact's; adam/graft 1e-3; sgd 0.1)" },
  warmup: { type: 'number', min: 0, max: 0.99, help: "warmup fraction (default: static -> the artifact's; others 0.05)" },
  decay: { type: 'string', choices: ['linear', 'cosine', 'constant', 'inverse-sqrt'], help: 'base schedule after warmup' },
  'schedule-scale': { type: 'number', min: 0, default: 1, help: "global factor on the artifact's multipliers" },
  'vector-scale': { type: 'number', min: 0, help: 'factor on the multipliers of LayerNorm and bias tensors instead of --schedule-scale (per-tensor schedules)' },
  'hybrid-adam-lr': { type: 'number', min: 0, help: 'hybrid: peak Adam rate of LayerNorm and bias tensors, same shape as the base schedule (default 1e-3)' },
  beta1: { type: 'number', min: 0, max: 0.999999, help: "adam/graft/hybrid: Adam's first-moment decay (default 0.9; 0: no momentum)" },
  beta2: { type: 'number', min: 0, max: 0.999999, help: "adam/graft/hybrid: Adam's second-moment decay (default 0.999)" },
  momentum: { type: 'number', min: 0, max: 0.999999, help: 'static: heavy-ball momentum on the gradient before the step-norm rule; one buffer per parameter, NOT stateless (a reference for what momentum adds)' },
  'clip-norm': { type: 'number', min: 0, help: 'clip gradients to this global norm (stateless)' },
  'weight-decay': { type: 'number', min: 0, max: 1, default: 0, help: 'decoupled weight decay (stateless)' },
  'eval-every': { type: 'int', min: 0, help: 'evaluate held-out splits every N steps (default steps/10; 0: end only)' },
  'checkpoint-every': { type: 'int', min: 0, help: 'checkpoint every N steps (default steps/10; 0: end and stop only)' },
  out: { type: 'string', help: 'run folder (default runs/<optimizer>-<preset>)' },
  resume: { type: 'boolean', help: 'continue the run in --out from its last checkpoint' },
  init: { type: 'string', help: 'start from exported weights: model.onnx or a Hugging Face folder (graftlr export)' },
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
  if (s.heldout) lines.push(`held-out loss / acc     ${s.heldout.loss.toFixed(4)} / ${pct(s.heldout.accuracy)}  (${s.heldout.tokens} tokens)`);
  if (s.heldoutAtMask) lines.push(`at [MASK] inputs        ${s.heldoutAtMask.loss.toFixed(4)} / ${pct(s.heldoutAtMask.accuracy)}  (${s.heldoutAtMask.tokens} held-out tokens: the context alone)`);
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
  const schedule = typeof options.schedule === 'string' && usesSchedule(options.optimizer ?? 'static') ? loadArtifact(options.schedule) : options.schedule;
  const stop = stopOnSignals(io);
  let bar: ReturnType<typeof progress> | undefined;
  try {
    const summary = await runTraining({ ...options, schedule }, {
      onStart: (info) => {
        io.err(`engine: ${info.engine}; ${info.paramCount} parameters; optimizer state: ${info.optimizerStateBytes} bytes` +
          (info.startStep > 0 ? `; resuming at step ${info.startStep}` : ''));
        const notice = typeof schedule === 'object' ? scheduleDataNotice(schedule.probe.dataFingerprint, info.dataFingerprint) : undefined;
        if (notice) io.err(notice);
        bar = progress(label, info.steps, io.err, { isTTY: process.stderr.isTTY });
      },
      onStep: (r) => {
        const fields: Record<string, number | string> = { loss: r.loss, lr: r.lr, 'tok/s': Math.round(r.tokens / (r.ms / 1000)) };
        if (r.eval?.heldoutLoss !== undefined) fields.heldout = r.eval.heldoutLoss;
        bar?.update(r.step + 1, fields);
      },
      onCheckpoint: (c) => { if (c.reason !== 'periodic') io.err(`checkpoint (${c.reason}) at step ${c.step}: ${c.file}`); },
      onNotice: (message) => io.err(message),
      shouldStop: stop.shouldStop,
    });
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
    const optimizer = flag.str(args, 'optimizer') as TrainOptimizerName;
    const preset = flag.str(args, 'preset') ?? 'tiny';
    const summary = await trainWithProgress({
      ...runOptionsFrom(args, backend),
      optimizer,
      schedule: flag.str(args, 'schedule'),
      steps: flag.int(args, 'steps'),
      lr: flag.num(args, 'lr'),
      warmup: flag.num(args, 'warmup'),
      decay: flag.str(args, 'decay') as 'linear' | undefined,
      scheduleScale: flag.num(args, 'schedule-scale'),
      vectorScale: flag.num(args, 'vector-scale'),
      hybridAdamLr: flag.num(args, 'hybrid-adam-lr'),
      beta1: flag.num(args, 'beta1'),
      beta2: flag.num(args, 'beta2'),
      momentum: flag.num(args, 'momentum'),
      clipNorm: flag.num(args, 'clip-norm'),
      weightDecay: flag.num(args, 'weight-decay'),
      evalEvery: flag.int(args, 'eval-every'),
      checkpointEvery: flag.int(args, 'checkpoint-every'),
      outDir: flag.str(args, 'out') ?? path.join('runs', `${optimizer}-${preset}`),
      resume: flag.bool(args, 'resume'),
      init: flag.str(args, 'init'),
    }, io);
    io.out(flag.bool(args, 'json') ? JSON.stringify(summary) : formatSummary(summary));
    return summary.stopped ? 130 : 0;
  },
};
