/**
 * What every run needs before its first step, shared by `train` and `extract`:
 * the model config, the prepared data (tokenizer + packed sequences), the engine, the batch function
 * and the fixed held-out batches.
 */
import type { MlmBatch } from '../../data/batch.js';
import { atMaskInputs } from '../../data/input-kind.js';
import { evalBatches, EVAL_SEED, makeBatcher } from '../../data/mlm.js';
import { prepareData, type PreparedData } from '../../data/prepare.js';
import { createOrtEngine } from '../../engine/ort/engine.js';
import { createTfjsEngine } from '../../engine/tfjs.js';
import type { Engine, EvalResult } from '../../engine/types.js';
import { presetConfig, type BertConfig } from '../../model/config.js';
import type { ParamMap } from '../../core/params.js';
import type { RunOptions } from './options.js';

/**
 * The model config of a run: the preset with its overrides, the vocabulary size of the tokenizer, and
 * enough position embeddings for the sequence length. Cheap: no data is read.
 */
export function runConfig(o: RunOptions, who: string): BertConfig {
  const vocabSize = o.data?.tokenizer.vocabSize ?? o.vocabSize;
  const preset = presetConfig(o.preset, { ...o.configOverrides, vocabSize });
  if (o.seqLen > preset.maxPositions) {
    throw new Error(
      `${who}: seqLen = ${o.seqLen} exceeds the model's maxPositions = ${preset.maxPositions}: use a shorter sequence length`,
    );
  }
  return preset;
}

/** Prepares (or checks the given) data for a run with this config. */
export function runData(o: RunOptions, config: BertConfig, who: string): PreparedData {
  const data = o.data ?? prepareData({ corpus: o.corpus, vocabSize: o.vocabSize, seqLen: o.seqLen, cacheDir: o.cacheDir });
  if (data.tokenizer.vocabSize !== config.vocabSize) {
    throw new Error(
      `${who}: the tokenizer has ${data.tokenizer.vocabSize} tokens but the model expects vocabSize = ${config.vocabSize}: ` +
        'use a smaller vocabulary size or a larger corpus',
    );
  }
  if (data.train.seqLen !== o.seqLen) {
    throw new Error(`${who}: the prepared data has sequences of ${data.train.seqLen} tokens, not seqLen = ${o.seqLen}: prepare it again`);
  }
  return data;
}

/** Builds the run's engine: tfjs, ort (onnxruntime, compiled graph), or the given factory's. */
export async function runEngine(o: RunOptions, config: BertConfig): Promise<Engine> {
  if (typeof o.engine === 'function') return o.engine(config, o.seed);
  if (o.engine === 'tfjs') return createTfjsEngine(config, { seed: o.seed });
  return createOrtEngine(config, { seed: o.seed }); // dropout masks from the seeded stream, as in tfjs
}

/**
 * Held-out metrics of a run, each loss and accuracy (null for an empty split):
 *   heldout:       in-domain held-out text;
 *   heldoutAtMask: the same batches scored only where the input was [MASK] (the context alone; src/data/input-kind.ts);
 *   ood:           out-of-domain text.
 */
export interface HeldoutMetrics {
  heldout: EvalResult | null;
  heldoutAtMask: EvalResult | null;
  ood: EvalResult | null;
}

export type HeldoutSplit = keyof HeldoutMetrics;
export type HeldoutBatches = Record<HeldoutSplit, MlmBatch[]>;

/** No evaluation (a stopped run, or none yet). */
export const NO_HELDOUT_METRICS: HeldoutMetrics = Object.freeze({ heldout: null, heldoutAtMask: null, ood: null });

export interface Evaluator {
  /** Evaluates every split (null for an empty split). Borrows `params`. */
  evaluate(params: ParamMap): Promise<HeldoutMetrics>;
}

/** The fixed held-out batches of a run, per split (seed EVAL_SEED, evalSequences per split, so runs compare). */
export function heldoutBatches(o: Pick<RunOptions, 'batchSize' | 'evalSequences'>, data: PreparedData): HeldoutBatches {
  const batches = (split: 'heldout' | 'ood'): MlmBatch[] =>
    o.evalSequences === 0 || data[split].count === 0
      ? []
      : evalBatches(data[split], o.batchSize, EVAL_SEED, { maxSequences: o.evalSequences });
  const heldout = batches('heldout');
  return { heldout, heldoutAtMask: heldout.map(atMaskInputs), ood: batches('ood') };
}

/** Evaluates each split of `batches` with `evaluate` (an engine's, or onnxruntime's on host parameters). */
export async function evaluateSplits(
  batches: HeldoutBatches,
  evaluate: (batches: MlmBatch[]) => Promise<EvalResult>,
): Promise<HeldoutMetrics> {
  const one = async (split: HeldoutSplit) => (batches[split].length ? evaluate(batches[split]) : null);
  return { heldout: await one('heldout'), heldoutAtMask: await one('heldoutAtMask'), ood: await one('ood') };
}

/** Fixed held-out batches (heldoutBatches) and the function that evaluates them. */
export function runEvaluator(o: RunOptions, data: PreparedData, engine: Engine): Evaluator {
  const batches = heldoutBatches(o, data);
  return { evaluate: (params) => evaluateSplits(batches, (b) => engine.evaluate(params, b)) };
}

/** Flat metric names for step records and the metrics log. */
export function flatMetrics(m: HeldoutMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  if (m.heldout) Object.assign(out, { heldoutLoss: m.heldout.loss, heldoutAccuracy: m.heldout.accuracy });
  if (m.heldoutAtMask) Object.assign(out, { heldoutAtMaskLoss: m.heldoutAtMask.loss, heldoutAtMaskAccuracy: m.heldoutAtMask.accuracy });
  if (m.ood) Object.assign(out, { oodLoss: m.ood.loss, oodAccuracy: m.ood.accuracy });
  return out;
}

/** The batch of training step t: pure in (seed, t), so resuming replays the same data. */
export function runBatches(o: RunOptions, data: PreparedData): (step: number) => MlmBatch {
  const batcher = makeBatcher({ sequences: data.train, batchSize: o.batchSize, seed: o.seed });
  return (step) => batcher.batchAt(step);
}
