/**
 * Adam and the Adam#SGD probe with the update on the host (host-adam.ts): each step is one run of the
 * gradient graph (loss, accuracy, every gradient, which arrive as fresh host arrays) and one update in
 * typed-array loops, in place. Parameters (adopted from `initial`) and Adam's moments live once, here.
 * Same interface as the step trainer (step-trainer.ts), which does the same inside the run.
 *
 * A step whose loss or gradient is not finite changes nothing and reports applied: false.
 */
import type { MlmBatch } from '../../data/batch.js';
import { OrtSession } from '../../runtime/ort.js';
import type { BertConfig } from '../../model/config.js';
import { checkHostParams, paramShapes } from '../../model/onnx/bert-params.js';
import type { HostParams } from '../../core/params.js';
import { dropoutFeeds } from './dropout.js';
import { batchFeeds, paramFeeds } from './feeds.js';
import { buildGradGraph, gradOutput, TRAINING_SESSION } from './graphs.js';
import { adamStepInPlace } from './host-adam.js';
import {
  factoredGraftStepInPlace,
  factoredStateBytes,
  firstMomentOf,
  initialFactoredMoments,
  type FactoredMoments,
  type Magnitude,
} from './host-factored.js';
import { checkOrtConfig } from './loss-and-grads.js';
import type { AdamHyper } from './step-graph.js';
import { initialMoments, type AdamMoments, type OrtStepTrainer } from './step-trainer.js';

export interface HostAdamOptions {
  rule: 'adam' | 'graft';
  adam: AdamHyper;
  /** Parameter -> graft group (default: per tensor). */
  groupOf?: (name: string) => string;
  /** Clip the gradient to this global norm first (default: no clipping). */
  clipNorm?: number;
  /** Decoupled weight decay (adam); step() then needs `decayByParam` (default false). */
  weightDecay?: boolean;
  /** Seeds the dropout keep-masks when config.dropout > 0 (default 0). */
  seed?: number;
  /** Adam's state to continue from (a checkpoint's). */
  moments?: AdamMoments;
  /**
   * The graft's magnitude (host-factored.ts): 'adam' (default) keeps m and v whole; 'factored-adam' keeps v as
   * row and column statistics ('factored-adam-bf16': m in bfloat16); 'factored-rms' also drops m. The factored ones are for the probe (rule 'graft').
   */
  magnitude?: Magnitude;
}

/** The host trainer: the step trainer's interface plus the factored magnitude's state. */
export interface HostAdamTrainer extends OrtStepTrainer {
  /** The factored magnitude's state (the trainer's own arrays), or undefined with 'adam' (see getMoments). */
  getFactoredMoments(): FactoredMoments | undefined;
}

/** Loads the gradient graph; the trainer adopts `initial` and updates it in place. */
export async function createHostAdamTrainer(config: BertConfig, initial: HostParams, o: HostAdamOptions): Promise<HostAdamTrainer> {
  checkOrtConfig(config);
  checkHostParams(config, initial);
  if (o.clipNorm !== undefined && !(o.clipNorm > 0)) throw new Error(`clipNorm = ${o.clipNorm} is invalid: expected a number > 0`);
  if (o.weightDecay && o.rule === 'graft') throw new Error('weight decay is not supported with the graft rule');
  const magnitude = o.magnitude ?? 'adam';
  if (magnitude !== 'adam' && (o.rule !== 'graft' || o.moments))
    throw new Error(`the ${magnitude} magnitude is for the graft rule of a new probe only`);
  const shapes = paramShapes(config);
  const names = Object.keys(shapes);
  const groupOf = o.groupOf ?? ((n: string) => n);
  const members = new Map<string, string[]>();
  for (const name of names) members.set(groupOf(name), [...(members.get(groupOf(name)) ?? []), name]);
  const params: HostParams = Object.fromEntries(names.map((n) => [n, { shape: [...shapes[n]], data: initial[n].data }]));
  const factored: FactoredMoments | undefined = magnitude === 'adam' ? undefined : initialFactoredMoments(shapes, firstMomentOf(magnitude));
  const moments = factored ? undefined : initialMoments(shapes, names, o.moments);
  const session = await OrtSession.create(buildGradGraph(config), TRAINING_SESSION, 'the ort gradient graph');
  let taken = 0;
  return {
    config,
    async step(batch: MlmBatch, lrByParam, stepOptions = {}) {
      if (o.weightDecay && !stepOptions.decayByParam)
        throw new Error('decayByParam is missing: this trainer was made with weightDecay: true');
      const feeds = paramFeeds(params, batchFeeds(config, batch));
      if (config.dropout > 0) dropoutFeeds(config, batch, o.seed ?? 0, stepOptions.step ?? taken, feeds);
      taken++;
      const out = await session.run(feeds);
      const grads = Object.fromEntries(names.map((n) => [n, out[gradOutput(n)].data as Float32Array]));
      const squares = Array.from(out.grad_sq.data as Float32Array); // sum(g^2) per parameter, from the run
      const gradNorm = Math.sqrt(squares.reduce((a, b) => a + b, 0));
      const loss = out.loss.data[0] as number;
      const applied = Number.isFinite(loss) && Number.isFinite(gradNorm);
      const nonFinite = applied ? [] : names.filter((_, i) => !Number.isFinite(squares[i])).sort();
      const clipFactor = o.clipNorm === undefined ? 1 : Math.min(1, o.clipNorm / gradNorm);
      let graftNorms = {};
      if (applied && factored)
        graftNorms = factoredGraftStepInPlace(params, grads, factored, { members, lr: lrByParam, clipFactor, hyper: o.adam });
      else if (applied)
        graftNorms = adamStepInPlace(params, grads, moments!, {
          rule: o.rule,
          members,
          lr: lrByParam,
          decay: stepOptions.decayByParam,
          clipFactor,
          hyper: o.adam,
        });
      return { loss, accuracy: out.accuracy.data[0] as number, gradNorm, applied, nonFinite, graftNorms };
    },
    getParams: () => params,
    getMoments: () => moments,
    getFactoredMoments: () => factored,
    stateBytes: () => (factored ? factoredStateBytes(factored) : 8 * names.reduce((n, name) => n + params[name].data.length, 0)),
    dispose: () => session.release(),
  };
}
