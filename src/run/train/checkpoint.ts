/**
 * Checkpoints: a directory holding `checkpoint.msgpack`, written atomically (temp + fsync + rename), so a
 * killed process leaves either the previous complete checkpoint or the new one, never a partial file.
 *
 * File layout: graftlr's container (src/formats/container.ts, checksum over the payload; readable with Python's `msgpack`):
 *   { format: "graftlr.checkpoint", version: 1, payload: <bytes>, checksum: "<sha256 hex of payload>" }
 * `payload` is itself a msgpack map (the Checkpoint's fields); tensors are array-codec records
 * {dtype, shape, data} (src/formats/array-codec.ts), nested optimizer state as a tree whose tensors are
 * { $tensor: {dtype, shape, data} }.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { arrayValues, borrowArray, checkPackedArray } from '../../formats/array-codec.js';
import { readFileChecked, writeFileAtomic } from '../../formats/atomic.js';
import { containerChunks, decodeContainer, type ContainerSpec } from '../../formats/container.js';
import type { BertConfig } from '../../model/config.js';
import { checkNamesAndShapes, shapesOf, type ShapeTable } from '../../core/param-shapes.js';
import type { HostParams } from '../../core/params.js';
import { checkCheckpointFields } from './checkpoint-check.js';
import type { HostArray, HostTree } from './state.js';

export const CHECKPOINT_FORMAT = 'graftlr.checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILE = 'checkpoint.msgpack';

/** Everything a run needs to continue exactly where it stopped. */
export interface Checkpoint {
  /** Steps completed; a resumed run starts here. */
  step: number;
  createdAt: string;
  /** Model config and preset name (if any). */
  model: { config: BertConfig; preset?: string };
  /** The optimizer's hyperparameters as plain data (its spec); resume refuses a different one. */
  optimizer: unknown;
  /** The run's options as plain data (steps, batch size, seed, schedule...). */
  run: Record<string, unknown>;
  /** Fingerprint of the training data (token stream), so resuming on other data is refused. */
  dataFingerprint: string;
  seed: number;
  /** Backend and engine that produced it (resume is bit-identical only on the same ones). */
  backend: string;
  engine: string;
  params: HostParams;
  optimizerState: HostTree;
}

const REMEDY = 'delete it and resume from an earlier copy, or start the run again';

function containerSpec(what: string): ContainerSpec {
  return { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, what, remedy: REMEDY, checksumOver: 'payload' };
}

/** The parameters as array records that borrow their arrays (written before they change). */
function encodeParams(params: HostParams): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  for (const name of Object.keys(params).sort()) out[name] = borrowArray(params[name].data, params[name].shape, 'f32') as HostArray;
  return out;
}

function decodeParams(stored: unknown): HostParams {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) throw new Error('params must be a map of arrays');
  const out: HostParams = {};
  for (const [name, a] of Object.entries(stored as Record<string, unknown>)) {
    const arr = checkPackedArray(a, `params.${name}`, ['f32']);
    out[name] = { shape: arr.shape, data: arrayValues(arr) as Float32Array };
  }
  return out;
}

/** A copy without `undefined` object properties (msgpack has no undefined; JSON drops them too). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = plain(x);
  return out;
}

/**
 * The checkpoint file as a sequence of chunks, for writing tensor by tensor (container.ts, checksum over the
 * payload): every tensor's bytes are yielded straight from its array. Holding the chunks of a whole file at
 * once would cost what streaming saves: write them as they come (writeFileAtomic does).
 */
export function checkpointChunks(c: Checkpoint): Generator<Uint8Array> {
  const { params, optimizerState, ...meta } = c;
  const payload = { ...(plain(meta) as object), params: encodeParams(params), optimizerState };
  return containerChunks(containerSpec('checkpoint'), payload);
}

/** Encodes a checkpoint to the file bytes in one buffer (the same bytes as checkpointChunks). */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  return Buffer.concat([...checkpointChunks(c)]);
}

/** Decodes and validates checkpoint bytes; `where` names the file in errors. */
export function decodeCheckpoint(bytes: Uint8Array, where = 'checkpoint'): Checkpoint {
  const { body } = decodeContainer(bytes, containerSpec(where)); // readable, magic, version, checksum
  try {
    // Every field is checked (checkpoint-check.ts): a value graftlr never writes is refused here, naming the file.
    return { ...checkCheckpointFields(body), params: decodeParams(body.params) };
  } catch (e) {
    throw new Error(`${where} is corrupt (${(e as Error).message}): ${REMEDY}`);
  }
}

/** The checkpoint file for a checkpoint directory, or for a run directory holding `checkpoint/`. */
export function checkpointFile(dir: string): string {
  const direct = path.join(dir, CHECKPOINT_FILE);
  const nested = path.join(dir, 'checkpoint', CHECKPOINT_FILE);
  return !fs.existsSync(direct) && fs.existsSync(nested) ? nested : direct;
}

/** True when `dir` (a checkpoint or run directory) holds a checkpoint file. */
export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(checkpointFile(dir));
}

/**
 * Writes `dir/checkpoint.msgpack` atomically (creating `dir`) and removes temporary files that a killed
 * earlier write left behind (`.checkpoint.msgpack.<pid>.<random>.tmp`). Returns the file path.
 */
export function saveCheckpoint(dir: string, c: Checkpoint): string {
  const file = path.join(dir, CHECKPOINT_FILE);
  writeFileAtomic(file, checkpointChunks(c)); // tensor by tensor: no second copy of the model in memory
  const mine = `.${CHECKPOINT_FILE}.${process.pid}.`;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(`.${CHECKPOINT_FILE}.`) && name.endsWith('.tmp') && !name.startsWith(mine)) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
  return file;
}

/** What a resuming run expects; each given field is compared and a mismatch refused with a clear error. */
export interface CheckpointExpectation {
  config?: BertConfig;
  preset?: string;
  optimizer?: unknown;
  dataFingerprint?: string;
  seed?: number;
  /** Run options that must be equal (e.g. steps, batchSize, seqLen); compared as JSON. */
  run?: Record<string, unknown>;
}

/** Reads and validates the checkpoint of `dir` (a checkpoint directory or a run directory). */
export function loadCheckpoint(dir: string, expect: CheckpointExpectation = {}): Checkpoint {
  const file = checkpointFile(dir);
  const c = decodeCheckpoint(readFileChecked(file, 'checkpoint'), `checkpoint ${file}`);
  checkCompatible(c, expect, file);
  return c;
}

/** Throws unless the stored parameters have exactly the model's names and shapes (param-shapes.ts). */
export function checkParamShapes(params: HostParams, shapes: ShapeTable, where: string): void {
  const sides = { have: where, want: 'the model', what: `${where} was made for another model`, remedy: 'start a new run' };
  checkNamesAndShapes(shapesOf(params), shapes, sides);
}

const json = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

/** Throws a one-line error naming the first difference between a checkpoint and what a run expects. */
export function checkCompatible(c: Checkpoint, expect: CheckpointExpectation, where = 'checkpoint'): void {
  const refuse = (what: string, stored: unknown, wanted: unknown): never => {
    throw new Error(
      `${where} was made with ${what} = ${json(stored)}, this run has ${json(wanted)}: ` +
        'use the same settings to resume, or start a new run (another --out)',
    );
  };
  if (expect.preset !== undefined && c.model.preset !== expect.preset) refuse('preset', c.model.preset, expect.preset);
  if (expect.config) {
    for (const key of Object.keys(expect.config) as (keyof BertConfig)[]) {
      if (c.model.config[key] !== expect.config[key]) refuse(`model ${key}`, c.model.config[key], expect.config[key]);
    }
  }
  if (expect.optimizer !== undefined && json(c.optimizer) !== json(expect.optimizer)) {
    refuse('optimizer', c.optimizer, expect.optimizer);
  }
  if (expect.seed !== undefined && c.seed !== expect.seed) refuse('seed', c.seed, expect.seed);
  if (expect.dataFingerprint !== undefined && c.dataFingerprint !== expect.dataFingerprint) {
    refuse('data fingerprint', c.dataFingerprint, expect.dataFingerprint);
  }
  for (const [key, wanted] of Object.entries(expect.run ?? {})) {
    if (json(c.run[key]) !== json(wanted)) refuse(key, c.run[key], wanted);
  }
}
