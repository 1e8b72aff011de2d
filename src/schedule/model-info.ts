/**
 * Plain-data descriptions of the model and the probe run, stored in traces and schedule artifacts.
 * Everything here is JSON/msgpack-safe: no tensors, no functions, no undefined.
 */
import { createHash } from 'node:crypto';
import type { BaseScheduleSpec } from '../optim/schedules.js';

/** Any value that survives msgpack and JSON unchanged. Numbers must be finite. */
export type PlainValue = null | boolean | number | string | PlainValue[] | { [key: string]: PlainValue };
export type PlainRecord = { [key: string]: PlainValue };

/** One parameter tensor, in canonical (sorted-name) order, and the group it belongs to. */
export interface ParamInfo {
  name: string;
  shape: number[];
  size: number;
  group: string;
}

/**
 * One group (the unit of grafting and of the schedule). With the default per-tensor grouping a group
 * is one tensor and `shape` is its shape; a group of several tensors has `shape = [size]`.
 */
export interface GroupInfo {
  name: string;
  shape: number[];
  size: number;
  params: string[];
}

export interface ModelInfo {
  architecture: string; // e.g. "bert-mlm"
  config: PlainRecord; // e.g. the BertConfig
  params: ParamInfo[];
  groups: GroupInfo[];
  fingerprint: string; // modelFingerprint(params): "sha256:<hex>"
}

/** An optimizer as data: `{name: "adam", hyperparameters: {lr, beta1, beta2, eps, weightDecay}}`. */
export interface OptimizerSpec {
  name: string;
  hyperparameters: PlainRecord;
}

/**
 * How the probe ran. `baseSchedule` is the base learning-rate schedule eta(t) as plain data, laid out for
 * `totalSteps` (decoders check the ranges: FieldChecker.baseSchedule).
 */
export interface ProbeInfo {
  magnitude: OptimizerSpec;
  direction: OptimizerSpec;
  baseSchedule: BaseScheduleSpec;
  grouping: string; // name of the groupOf function, e.g. "per-tensor"
  batchSize: number;
  seqLen: number;
  steps: number; // probe steps actually run
  totalSteps: number; // planned training length the base schedule was laid out for
  seed: number;
  dataFingerprint: string;
  backend: string;
  engine: string;
  /** Present when the probe ran on a shallower copy of the model (src/run/probe/proxy.ts). */
  proxy?: ProbeProxy;
  /** The corpus spec line of the probe's data (src/data/corpus.ts); absent in files written before it was recorded. */
  corpus?: string;
  /** The probe's tokenizer; absent in files written before it was recorded. */
  tokenizer?: ProbeTokenizer;
}

/** A tokenizer as provenance: its fingerprint (src/data/fingerprint.ts tokenizerFingerprint) and size. */
export interface ProbeTokenizer {
  fingerprint: string;
  vocabSize: number;
}

/** A proxy probe: the proxy's layer count, which proxy layer each model layer's groups came from, its fingerprint. */
export interface ProbeProxy {
  numLayers: number;
  /** layerMap[k] = the proxy layer model layer k was mapped from (relative depth). */
  layerMap: number[];
  fingerprint: string;
}

/**
 * Fingerprint of a model's parameter names and shapes, independent of key order:
 * sha256 over the lines `name:d0xd1x...\n` (a scalar is `name:\n`) for names in sorted (UTF-16) order.
 */
export function modelFingerprint(paramShapes: Readonly<Record<string, readonly number[]>>): string {
  const text = Object.keys(paramShapes)
    .sort()
    .map((n) => `${n}:${paramShapes[n].join('x')}\n`)
    .join('');
  return 'sha256:' + createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Builds the ModelInfo for a model: parameters in sorted-name order, groups in order of their first
 * parameter, and the fingerprint. `groupOf` maps a parameter name to its group (per tensor by default).
 */
export function describeModel(
  architecture: string,
  config: PlainRecord,
  paramShapes: Readonly<Record<string, readonly number[]>>,
  groupOf: (name: string) => string = (n) => n,
): ModelInfo {
  const params: ParamInfo[] = Object.keys(paramShapes)
    .sort()
    .map((name) => {
      const shape = [...paramShapes[name]];
      return { name, shape, size: shape.reduce((p, d) => p * d, 1), group: groupOf(name) };
    });
  const groups = new Map<string, GroupInfo>();
  for (const p of params) {
    const g = groups.get(p.group);
    if (!g) groups.set(p.group, { name: p.group, shape: [...p.shape], size: p.size, params: [p.name] });
    else {
      g.size += p.size;
      g.shape = [g.size];
      g.params.push(p.name);
    }
  }
  return { architecture, config, params, groups: [...groups.values()], fingerprint: modelFingerprint(paramShapes) };
}

/** name -> shape of the model's parameters, as recorded. */
export function paramShapesOf(model: ModelInfo): Record<string, number[]> {
  return Object.fromEntries(model.params.map((p) => [p.name, p.shape]));
}
