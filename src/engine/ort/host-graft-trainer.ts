/**
 * The probe's trainer with the update on the host (host-graft.ts): each step is one run of the gradient
 * graph (loss, accuracy, every gradient; the gradients arrive as fresh host arrays) and one grafted update
 * in typed-array loops, in place. Parameters (adopted from `initial`) and Adam's moments live once, here.
 * Same interface as the step trainer, so the probe runs either (probe/graft-probe.ts).
 *
 * A step whose loss or gradient is not finite changes nothing and reports applied: false.
 */
import type { MlmBatch } from '../../data/batch.js';
import { OrtSession } from '../../eval/ort.js';
import type { BertConfig } from '../../model/config.js';
import { checkHostParams, paramShapes } from '../../onnx/bert-params.js';
import type { HostParams } from '../../params.js';
import { dropoutFeeds } from './dropout.js';
import { batchFeeds, paramFeeds } from './feeds.js';
import { buildGradGraph, gradOutput, TRAINING_SESSION } from './graphs.js';
import { graftStepInPlace, sumOfSquares } from './host-graft.js';
import { checkOrtConfig } from './loss-and-grads.js';
import type { AdamHyper } from './step-graph.js';
import type { AdamMoments, OrtStepTrainer } from './step-trainer.js';

export interface HostGraftOptions {
  adam: AdamHyper;
  /** Parameter -> graft group (default: per tensor). */
  groupOf?: (name: string) => string;
  /** Seeds the dropout keep-masks when config.dropout > 0 (default 0). */
  seed?: number;
}

/** Loads the gradient graph; the trainer adopts `initial` and updates it in place. */
export async function createHostGraftTrainer(config: BertConfig, initial: HostParams, o: HostGraftOptions): Promise<OrtStepTrainer> {
  checkOrtConfig(config);
  checkHostParams(config, initial);
  const shapes = paramShapes(config);
  const names = Object.keys(shapes);
  const groupOf = o.groupOf ?? ((n: string) => n);
  const members = new Map<string, string[]>();
  for (const name of names) members.set(groupOf(name), [...(members.get(groupOf(name)) ?? []), name]);
  const params: HostParams = Object.fromEntries(names.map((n) => [n, { shape: [...shapes[n]], data: initial[n].data }]));
  const zeros = (): HostParams => Object.fromEntries(names.map((n) => [n, { shape: [...shapes[n]], data: new Float32Array(initial[n].data.length) }]));
  const moments: AdamMoments = { count: 0, m: zeros(), v: zeros() };
  const session = await OrtSession.create(buildGradGraph(config), TRAINING_SESSION, 'the ort gradient graph');
  let taken = 0;
  return {
    config,
    async step(batch: MlmBatch, lrByParam, stepOptions = {}) {
      const feeds = paramFeeds(params, batchFeeds(config, batch));
      if (config.dropout > 0) dropoutFeeds(config, batch, o.seed ?? 0, stepOptions.step ?? taken, feeds);
      taken++;
      const out = await session.run(feeds);
      const grads: Record<string, Float32Array> = {};
      const squares = names.map((n) => sumOfSquares((grads[n] = out[gradOutput(n)].data as Float32Array)));
      const gradNorm = Math.sqrt(squares.reduce((a, b) => a + b, 0));
      const loss = out.loss.data[0] as number;
      const applied = Number.isFinite(loss) && Number.isFinite(gradNorm);
      const nonFinite = applied ? [] : names.filter((_, i) => !Number.isFinite(squares[i])).sort();
      const graftNorms = applied ? graftStepInPlace(params, grads, moments, members, lrByParam, o.adam) : {};
      return { loss, accuracy: out.accuracy.data[0] as number, gradNorm, applied, nonFinite, graftNorms };
    },
    getParams: () => params,
    getMoments: () => moments,
    stateBytes: () => 8 * names.reduce((n, name) => n + params[name].data.length, 0),
    dispose: () => session.release(),
  };
}
