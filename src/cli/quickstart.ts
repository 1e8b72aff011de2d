/**
 * graftlr quickstart (`npm start`): the main job on the embedded defaults. Extract a schedule with a short
 * grafted probe, train with stateless scheduled SGD, export to ONNX, and fill a few masks with onnxruntime.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fillMaskFromFiles } from '../run/eval/jobs.js';
import { exportCheckpoint } from '../run/train/export-checkpoint.js';
import { extractSchedule } from '../run/probe/extract.js';
import { PROBE_SCHEMA, type ProbeOptions } from '../run/probe/probe.js';
import { TRAIN_SCHEMA } from '../run/train/train-options.js';
import { saveArtifact, saveTrace } from '../schedule/files.js';
import { flag, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { compressFlags } from './compress-flags.js';
import { setupBackend } from './common.js';
import { writeChart } from './inspect.js';
import { plotArtifact } from '../plot/artifact-plot.js';
import { progress } from './progress.js';
import { flagsOf } from './schema-flags.js';
import { noPositionals, runFlags, runOptionsFrom } from './run-flags.js';
import { formatSummary, trainWithProgress } from './train.js';

export const QUICKSTART_SENTENCES = [
  'the [MASK] of the union is strong.',
  'we must work together to build a better [MASK] for our children.',
  'congress should pass this [MASK] without delay.',
  'the united [MASK] of america.',
  'i ask the [MASK] to pass this bill.',
];

// Defaults: short sequences, so that the model learns to use its context within a few minutes. A masked
// token sees its neighbours through attention only, and attention starts out uniform: over 64 or 128 tokens
// a neighbour's share is too small to learn from in a few thousand steps, and the model stays context-blind
// (at [MASK] inputs it scores the unigram loss); over 16 tokens it leaves that plateau (artifacts/README.md,
// "Short sequences"). Batch 64 x 16 tokens, 4000 steps, init std 0.05 (attention learns faster from it at this
// width), a 400-step probe at Adam's lr 1e-3, extract's compression defaults, and the schedule at scale 8: the
// settings of artifacts/compare-quickstart, where their measurements are. The probe's magnitude is extract's
// default, the lean factored-adam-bf16 (artifacts/compare-lean-probe).
const probeFlags = flagsOf(PROBE_SCHEMA, ['lr', 'magnitude']);
const trainFlags = flagsOf(TRAIN_SCHEMA, ['scheduleScale']);
const flags: FlagSpecs = {
  ...runFlags,
  'batch-size': { ...runFlags['batch-size'], default: 64 },
  'seq-len': { ...runFlags['seq-len'], default: 16 },
  'init-std': {
    ...runFlags['init-std'],
    default: 0.05,
    help: "std of the truncated-normal weight initialisation (0.05: attention learns faster than from BERT's 0.02 at this width)",
  },
  steps: { type: 'int', min: 10, default: 4000, help: 'training steps (the probe runs --probe-fraction of them first)' },
  'probe-fraction': { type: 'number', min: 0.01, max: 1, default: 0.1, help: 'probe length as a fraction of --steps' },
  lr: { ...probeFlags.lr, help: "Adam's peak learning rate in the probe (the base schedule's peak)" },
  magnitude: { ...probeFlags.magnitude },
  'preconditioner-eps': { ...compressFlags['preconditioner-eps'] },
  'schedule-scale': { ...trainFlags['schedule-scale'], default: 8, help: 'global scale on the schedule' },
  out: { type: 'string', default: 'runs/quickstart', help: 'folder for the schedule, the run, and model.onnx' },
};

export const quickstartCommand: Command = {
  name: 'quickstart',
  summary: 'the main job: extract a schedule, train with it (no optimizer state), export ONNX, fill masks',
  usage: 'graftlr quickstart [--preset tiny] [--steps 4000] [--out runs/quickstart]',
  flags,
  async run(args, io) {
    noPositionals(args);
    const backend = await setupBackend(args, io);
    const out = flag.str(args, 'out')!;
    const steps = flag.int(args, 'steps')!;
    const run = runOptionsFrom(args, backend);

    let bar: ReturnType<typeof progress> | undefined;
    const extracted = await extractSchedule(
      {
        ...run,
        totalSteps: steps,
        probeFraction: flag.num(args, 'probe-fraction'),
        lr: flag.num(args, 'lr'),
        magnitude: flag.str(args, 'magnitude') as ProbeOptions['magnitude'] | undefined,
        stabilityBatches: 0, // no stability limits: its compression caps by size, which does not need them
        compress: { preconditionerEps: flag.num(args, 'preconditioner-eps') },
      },
      {
        onStart: (info) => {
          io.err(`1/4 extract: grafted Adam#SGD probe (${info.magnitude} magnitude) over ${info.probeSteps} steps`);
          bar = progress('  probe', info.probeSteps, io.err, { isTTY: process.stderr.isTTY });
        },
        onStep: (r) => bar?.update(r.step + 1, { loss: r.loss }),
      },
    );
    bar?.finish({ loss: extracted.probe.lastLoss });
    const schedulePath = path.join(out, 'schedule.graft');
    saveArtifact(schedulePath, extracted.artifact);
    saveTrace(path.join(out, 'schedule.trace'), extracted.probe.trace);
    writeChart(path.join(out, 'schedule.png'), plotArtifact(extracted.artifact, { trace: extracted.probe.trace }));

    io.err(`2/4 train: stateless SGD x schedule for ${steps} steps`);
    const runDir = path.join(out, 'train');
    fs.rmSync(runDir, { recursive: true, force: true }); // quickstart replaces its own previous run
    const summary = await trainWithProgress(
      { ...run, optimizer: 'static', schedule: schedulePath, steps, outDir: runDir, scheduleScale: flag.num(args, 'schedule-scale') },
      io,
      '  train',
    );

    io.err('3/4 export: ONNX');
    const modelPath = path.join(out, 'model.onnx');
    exportCheckpoint({ checkpoint: runDir, out: modelPath });

    io.err('4/4 fill-mask with onnxruntime');
    // The summary's loss at [MASK] inputs says whether the model uses its context (it has nothing else there).
    const lines = [formatSummary(summary), '', 'fill-mask (onnxruntime):'];
    for (const text of QUICKSTART_SENTENCES) {
      const r = await fillMaskFromFiles({ model: modelPath, tokenizer: path.join(runDir, 'tokenizer.json'), text, topK: 5 });
      if (r.warning) io.err(`warning: ${r.warning}`);
      const top = r.results[0].predictions.map((p) => `${p.token} ${(100 * p.score).toFixed(1)}%`).join(', ');
      lines.push(`  ${text}\n    -> ${top}`);
    }
    lines.push(
      '',
      'results:',
      `  schedule     ${schedulePath} (plot: ${path.join(out, 'schedule.png')}; graftlr inspect ${schedulePath})`,
      `  run          ${runDir} (metrics.jsonl, summary.json, checkpoint/)`,
      `  model        ${modelPath}`,
    );
    io.out(lines.join('\n'));
    return 0;
  },
};
