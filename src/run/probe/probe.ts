/**
 * runProbe: the library entry behind `graftlr extract`. Prepares model and data exactly as training
 * does, runs the grafted probe Adam#SGD (graft-probe.ts) for a fraction of the planned training length,
 * and returns the trace. The caller compresses it (src/schedule/compress.ts) and writes trace and
 * artifact. Prints nothing: progress goes to the hooks.
 */
import type { DataStats } from '../../data/prepare.js';
import { initParams, paramShapes } from '../../model/bert.js';
import type { BertConfig } from '../../model/config.js';
import { groupingNames, makeGroupOf, type GroupingName } from '../../model/groups.js';
import { describeModel, type PlainRecord } from '../../schedule/model-info.js';
import type { Trace } from '../../schedule/trace.js';
import type { StepRecord } from '../train/loop.js';
import { tokenCounts, tokenizerFingerprint } from '../../data/fingerprint.js';
import { DECAYS } from '../../optim/schedule-spec.js';
import { applySchema, type OptionSchema } from '../../core/options/schema.js';
import { checkInt, checkNumber } from '../../core/options/validate.js';
import { validateRunOptions, type Decay, type RunOptions } from '../train/options.js';
import { RECOMMENDED_STABILITY_BATCHES } from './stability-limits.js';
import { runBatches, runConfig, runData, runEngine } from '../train/setup.js';
import { runSummaryStats, type StepStats } from '../train/summary.js';
import { runFusedGraftProbe, runGraftProbe, type ProbeUpdate } from './graft-probe.js';
import { initValues } from '../../model/init.js';
import { checkRunFits } from '../train/memory-estimate.js';
import { MAGNITUDES, type Magnitude } from '../../engine/ort/host-factored.js';
import { mapProxyTrace, proxyLayerMap } from './proxy.js';

/** The engine line of a probe on the ort runtime. */
export const FUSED_PROBE_ENGINE = 'ort (fused graft step)';

export interface ProbeOptions extends RunOptions {
  /** Planned length of the training the schedule is for; the base schedule is laid out over it (default 1000). */
  totalSteps: number;
  /** Probe steps; default round(probeFraction * totalSteps). */
  probeSteps?: number;
  /** Fraction of totalSteps probed when probeSteps is not given (default 0.1). */
  probeFraction: number;
  /** Adam's peak learning rate: the peak of the base schedule eta(t) (default 1e-3). */
  lr: number;
  /** Warmup as a fraction of totalSteps, in [0, 1) (default 0.05). */
  warmup: number;
  decay: Decay;
  endLr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Record a trace sample every k steps (default 1). */
  recordEvery: number;
  /** Parameter groups of the schedule: tensor (default), block, type or global (src/model/groups.ts). */
  grouping: GroupingName;
  /** Batches each group's stability limit is averaged over at the probe's end (stability-limits.ts); 0: none. */
  stabilityBatches: number;
  /** With the ort engine: where the grafted update runs (graft-probe.ts ProbeUpdate; default 'host'). */
  ortUpdate?: ProbeUpdate;
  /**
   * The graft's magnitude (src/engine/ort/host-factored.ts): 'adam', 'factored-adam' (v as row and column
   * statistics), 'factored-adam-bf16' (that, m in bfloat16) or 'factored-rms' (without a first moment). The
   * factored ones need the ort engine with the update on the host; the default is defaultMagnitude's.
   */
  magnitude: Magnitude;
  /** Probe a copy of the model with this many encoder layers and map its trace onto the model (proxy.ts); 0 (default): off. */
  proxyLayers: number;
}

/** Defaults, limits and help of the options the probe adds to RunOptions (`extract`'s flags come from here). */
export const PROBE_SCHEMA: OptionSchema = {
  totalSteps: { kind: 'int', flag: 'total-steps', lo: 1, default: 1000, help: 'length of the training the schedule is planned for' },
  probeSteps: { kind: 'int', flag: 'steps', lo: 1, help: 'probe steps (default: --probe-fraction of --total-steps)' },
  probeFraction: {
    kind: 'number',
    flag: 'probe-fraction',
    lo: 0,
    loOpen: true,
    hi: 1,
    default: 0.1,
    help: 'share of --total-steps probed when --steps is not given',
  },
  lr: {
    kind: 'number',
    flag: 'lr',
    lo: 0,
    loOpen: true,
    hi: 1e6,
    default: 1e-3,
    help: "Adam's peak learning rate (the base schedule's peak)",
  },
  warmup: { kind: 'number', flag: 'warmup', lo: 0, hi: 1, hiOpen: true, default: 0.05, help: 'warmup as a fraction of --total-steps' },
  decay: { kind: 'enum', flag: 'decay', choices: DECAYS, default: 'linear', help: 'base schedule after warmup' },
  endLr: { kind: 'number', lo: 0, default: 0, help: 'base-schedule value at the last step for linear/cosine decay (at most lr)' },
  beta1: { kind: 'number', lo: 0, hi: 1, hiOpen: true, default: 0.9, help: "Adam's first-moment decay" },
  beta2: { kind: 'number', lo: 0, hi: 1, hiOpen: true, default: 0.999, help: "Adam's second-moment decay" },
  eps: { kind: 'number', lo: 0, loOpen: true, hi: 1, default: 1e-8, help: "Adam's epsilon" },
  grouping: {
    kind: 'enum',
    flag: 'grouping',
    choices: groupingNames,
    default: 'tensor',
    help: 'parameter groups that get one multiplier each',
  },
  ortUpdate: {
    kind: 'enum',
    flag: 'ort-update',
    choices: ['host', 'graph'],
    default: 'host',
    help: 'with --engine ort: apply Adam#SGD in typed-array loops (host, lower peak memory) or inside the onnxruntime run (graph)',
  },
  recordEvery: { kind: 'int', flag: 'record-every', lo: 1, default: 1, help: 'record a trace sample every k steps' },
  magnitude: {
    kind: 'enum',
    flag: 'magnitude',
    choices: MAGNITUDES,
    help:
      "the step length grafted onto SGD's direction: adam (m and v per value, 2 x params of state), factored-adam " +
      '(v as row and column statistics per matrix, m kept: 1 x params), factored-adam-bf16 (m in bfloat16: 0.5 x params) ' +
      'or factored-rms (no m either: O(rows + cols) per matrix); ' +
      'the factored ones run on --engine ort with --ort-update host (default: factored-adam-bf16 there, adam elsewhere)',
  },
  proxyLayers: {
    kind: 'int',
    flag: 'proxy-layers',
    lo: 0,
    default: 0,
    help:
      'probe a copy of the model with this many encoder layers (same width) and map its schedule onto the model by relative depth; ' +
      '0 probes the model itself',
  },
  stabilityBatches: {
    kind: 'int',
    flag: 'stability-batches',
    lo: 0,
    hi: 64,
    default: RECOMMENDED_STABILITY_BATCHES,
    help: "after the probe, measure each group's stability limit on this many batches (one forward pass per group and batch; --cap-by curvature needs it); 0 skips it",
  },
};

/**
 * The magnitude when none is given: the lean factored-adam-bf16 where it runs (the ort engine, update on the
 * host), full Adam elsewhere. It closes as much of the SGD-to-Adam gap as the full-Adam probe within the seed
 * spread (tiny and mini, 3 seeds: artifacts/compare-lean-probe/) with a quarter of its optimizer state.
 */
export function defaultMagnitude(engine: RunOptions['engine'], ortUpdate: ProbeUpdate | undefined): Magnitude {
  return engine === 'ort' && (ortUpdate ?? 'host') === 'host' ? 'factored-adam-bf16' : 'adam';
}

/** Options with defaults filled in; throws a one-line error naming a bad value and the allowed range. */
export function validateProbeOptions(options: Partial<ProbeOptions>): ProbeOptions & { probeSteps: number } {
  const who = 'extract';
  const base = validateRunOptions(who, options);
  const o = { ...applySchema<ProbeOptions>(who, PROBE_SCHEMA, options), ...base };
  o.magnitude ??= defaultMagnitude(o.engine, o.ortUpdate);
  const probeSteps = o.probeSteps ?? Math.max(1, Math.round(o.probeFraction * o.totalSteps));
  checkInt(who, 'probeSteps', probeSteps, 1, o.totalSteps);
  checkNumber(who, 'endLr', o.endLr, { lo: 0, hi: o.lr });
  if (o.magnitude !== 'adam' && (o.engine !== 'ort' || o.ortUpdate === 'graph')) {
    throw new Error(`${who}: the ${o.magnitude} magnitude runs on the ort engine with the update on the host (engine ort, ortUpdate host)`);
  }
  if (o.proxyLayers > 0 && o.grouping !== 'tensor' && o.grouping !== 'block') {
    throw new Error(`${who}: a proxy probe needs grouping tensor or block (groups within one layer), not ${o.grouping}`);
  }
  return { ...o, probeSteps };
}

export interface ProbeHooks {
  onStart?(info: {
    config: BertConfig;
    engine: string;
    backend: string;
    magnitude: Magnitude;
    probeSteps: number;
    totalSteps: number;
    data: DataStats;
  }): void;
  onStep?(record: StepRecord): void;
  /** Called once after the last step, before the stability limits are measured (src/run/probe/stability-limits.ts). */
  onMeasureStart?(info: { groups: number; batches: number }): void;
  /** Polled after each step; true ends the probe early with the samples recorded so far. */
  shouldStop?(): boolean;
}

export interface ProbeResult extends StepStats {
  trace: Trace;
  config: BertConfig;
  /** Steps run (probeSteps unless stopped). */
  steps: number;
  stopped: boolean;
  engine: string;
  backend: string;
  wallSeconds: number;
  peakRssBytes: number;
  dataFingerprint: string;
  /** The tokenizer the model was trained with, as tokenizer.json text. */
  tokenizerJson: string;
}

/** Runs the probe; see the file comment. */
export async function runProbe(options: Partial<ProbeOptions>, hooks: ProbeHooks = {}): Promise<ProbeResult> {
  const started = performance.now();
  const o = validateProbeOptions(options);
  const config = runConfig(o, 'extract');
  const layerMap = o.proxyLayers > 0 ? proxyLayerMap(o.proxyLayers, config.numLayers) : undefined;
  const probed = layerMap ? runConfig({ ...o, configOverrides: { ...o.configOverrides, numLayers: o.proxyLayers } }, 'extract') : config;
  if (o.memoryCheck !== false)
    checkRunFits(
      probed,
      { batchSize: o.batchSize, seqLen: o.seqLen, kind: 'probe', engine: typeof o.engine === 'string' ? o.engine : 'custom' },
      'extract',
    );
  const data = runData(o, config, 'extract');
  const groupOf = makeGroupOf(o.grouping);
  const describe = (c: BertConfig) => describeModel('bert-mlm', { ...c } as unknown as PlainRecord, paramShapes(c), groupOf);
  const model = describe(probed);
  const records: StepRecord[] = [];
  const fused = o.engine === 'ort'; // the ort runtime: one onnxruntime run per step, nothing through tfjs
  const engine = fused ? undefined : await runEngine(o, probed);
  const engineName = fused ? FUSED_PROBE_ENGINE : engine!.name;
  hooks.onStart?.({
    config,
    engine: engineName,
    backend: o.backend,
    magnitude: o.magnitude,
    probeSteps: o.probeSteps,
    totalSteps: o.totalSteps,
    data: data.stats,
  });
  const common = {
    batchAt: runBatches(o, data),
    probeSteps: o.probeSteps,
    schedule: {
      peakLr: o.lr,
      totalSteps: o.totalSteps,
      warmupSteps: Math.round(o.warmup * o.totalSteps),
      decay: o.decay,
      endLr: o.endLr,
    },
    adam: { beta1: o.beta1, beta2: o.beta2, eps: o.eps },
    groupOf,
    recordEvery: o.recordEvery,
    model,
    provenance: {
      grouping: o.grouping,
      batchSize: o.batchSize,
      seqLen: o.seqLen,
      seed: o.seed,
      dataFingerprint: data.fingerprint,
      backend: o.backend,
      engine: engineName,
      corpus: data.spec,
      tokenizer: { fingerprint: tokenizerFingerprint(data.tokenizer.vocab), vocabSize: data.tokenizer.vocabSize },
    },
    onStep: (r: StepRecord) => {
      records.push(r);
      hooks.onStep?.(r);
    },
    stabilityBatches: o.stabilityBatches,
    onMeasureStart: hooks.onMeasureStart,
    shouldStop: hooks.shouldStop,
  };
  try {
    const result = fused
      ? await runFusedGraftProbe({
          ...common,
          config: probed,
          initial: initValues(probed, o.seed),
          seed: o.seed,
          update: o.ortUpdate,
          magnitude: o.magnitude,
        })
      : await runGraftProbe({ ...common, engine: engine!, params: initParams(probed, o.seed) });
    const trace = layerMap ? mapProxyTrace(result.trace, describe(config), layerMap) : result.trace;
    // What re-indexes the token-indexed statistics for another tokenizer (schedule/token-remap.ts).
    trace.vocabulary = { tokens: [...data.tokenizer.vocab], counts: tokenCounts(data.train.ids, data.tokenizer.vocabSize) };
    return {
      trace,
      config,
      steps: result.steps,
      stopped: result.stopped,
      engine: engineName,
      backend: o.backend,
      ...runSummaryStats(records),
      wallSeconds: (performance.now() - started) / 1000,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      dataFingerprint: data.fingerprint,
      tokenizerJson: data.tokenizerJson,
    };
  } finally {
    await engine?.dispose();
  }
}
