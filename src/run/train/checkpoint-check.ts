/**
 * Type checks for a decoded checkpoint payload. A payload that passed its checksum was written as-is, but by
 * whom? msgpack can carry values graftlr never writes (a uint64 decodes to a BigInt, a timestamp to a Date, a
 * 2^40 dimension with no data), and each of them used to surface later as an internal error ("Do not know how to
 * serialize a BigInt"). Every check here throws a one-line Error naming the field; decodeCheckpoint adds the file.
 */
import { describeValue, isPlainObject } from '../../formats/canonical.js';
import { validateConfig, type BertConfig } from '../../model/config.js';
import type { Checkpoint } from './checkpoint.js';
import { checkHostArray, TENSOR_KEY, type HostTree } from './state.js';

const CONFIG_KEYS: readonly (keyof BertConfig)[] = [
  'vocabSize',
  'hiddenSize',
  'numLayers',
  'numHeads',
  'intermediateSize',
  'maxPositions',
  'typeVocabSize',
  'dropout',
  'layerNormEps',
  'initStd',
];

/** Integer config fields above this are no model graftlr can build (tensor dimensions are int32). */
const MAX_CONFIG_INT = 0x7fffffff;

function fail(path: string, problem: string): never {
  throw new Error(`${path} ${problem}`);
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `must be a string, got ${describeValue(v)}`);
  return v;
}

function safeInt(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(path, `must be an integer >= ${min}, got ${describeValue(v)}`);
  return v;
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(v)) fail(path, `must be a map, got ${describeValue(v)}`);
  return v;
}

/**
 * Plain data as JSON knows it: null, booleans, numbers, strings, lists and maps. Refuses BigInt, bytes,
 * dates and anything else (they cannot be compared as JSON, which resuming does).
 */
export function checkPlainTree(v: unknown, path: string): HostTree {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x, i) => checkPlainTree(x, `${path}[${i}]`));
  if (isPlainObject(v)) {
    const out: Record<string, HostTree> = {};
    for (const [k, x] of Object.entries(v)) out[k] = checkPlainTree(x, `${path}.${k}`);
    return out;
  }
  fail(path, `holds ${describeValue(v)}, which graftlr never writes`);
}

/** An optimizer state tree: plain data whose tensor nodes `{ $tensor: {dtype, shape, data} }` pass checkHostArray. */
export function checkStateTree(v: unknown, path: string): HostTree {
  if (Array.isArray(v)) return v.map((x, i) => checkStateTree(x, `${path}[${i}]`));
  if (isPlainObject(v)) {
    if (TENSOR_KEY in v) {
      if (Object.keys(v).length !== 1) fail(path, `holds a tensor node with other keys (${Object.keys(v).join(', ')})`);
      checkHostArray(v[TENSOR_KEY], path);
      return v as HostTree;
    }
    const out: Record<string, HostTree> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$')) fail(`${path}.${k}`, 'is a reserved key ("$..." marks tensors)');
      out[k] = checkStateTree(x, `${path}.${k}`);
    }
    return out;
  }
  return checkPlainTree(v, path);
}

/** The model config: every field a number in validateConfig's ranges (integers at most 2^31 - 1). */
export function checkStoredConfig(v: unknown, path: string): BertConfig {
  const o = object(v, path);
  for (const key of CONFIG_KEYS) {
    const x = o[key];
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${path}.${key}`, `must be a number, got ${describeValue(x)}`);
    if (Number.isInteger(x) && x > MAX_CONFIG_INT)
      fail(`${path}.${key}`, `is ${x}, above ${MAX_CONFIG_INT}: no model has such a dimension`);
  }
  checkPlainTree(o, path);
  try {
    return validateConfig(o as unknown as BertConfig); // every field's type was checked above
  } catch (err) {
    fail(path, `is invalid: ${(err as Error).message}`);
  }
}

/**
 * Checks every field of a decoded payload but `params` (decodeParams checks those) and returns them. Throws
 * "<field> <problem>"; decodeCheckpoint adds the file and what to do.
 */
export function checkCheckpointFields(body: unknown): Omit<Checkpoint, 'params'> {
  const b = object(body, 'payload');
  const model = object(b.model, 'model');
  const out: Omit<Checkpoint, 'params'> = {
    step: safeInt(b.step, 'step', 0),
    createdAt: str(b.createdAt, 'createdAt'),
    model: { config: checkStoredConfig(model.config, 'model.config') },
    optimizer: checkPlainTree(b.optimizer, 'optimizer'),
    run: checkPlainTree(object(b.run, 'run'), 'run') as Record<string, HostTree>,
    dataFingerprint: str(b.dataFingerprint, 'dataFingerprint'),
    seed: safeInt(b.seed, 'seed', 0),
    backend: str(b.backend, 'backend'),
    engine: str(b.engine, 'engine'),
    optimizerState: checkStateTree(b.optimizerState, 'optimizerState'),
  };
  if (model.preset !== undefined) out.model.preset = str(model.preset, 'model.preset');
  return out;
}
