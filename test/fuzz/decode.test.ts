/**
 * Seeded mutations of a small schedule artifact and a small checkpoint through decode + validate, in process.
 *
 * Byte mutations (bit flips, truncation, appended bytes) exercise the msgpack and checksum layers; structural
 * mutations (a field deleted, replaced by a hostile value, retyped or rescaled, a key added) are made on the
 * decoded map and re-encoded with a valid checksum, so the field validation itself is exercised. Every outcome
 * must be a value or one plain Error with a one-line message (no TypeError or RangeError from internals), and
 * every accepted artifact must pass what train, inspect and export-schedule do with it; every accepted
 * checkpoint must either pass what a resuming run does or be refused by it in one clean line.
 */
import * as tf from '@tensorflow/tfjs-core';
import { pack, unpack } from 'msgpackr';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { checkArtifactMatchesModel, decodeArtifact, encodeArtifact, type Artifact } from '../../src/schedule/artifact.js';
import { checksumOf, encodeContainer } from '../../src/formats/codec.js';
import { exportScheduleJson, exportScheduleTorch } from '../../src/schedule/export.js';
import { artifactSummaryJson, formatArtifactTable } from '../../src/schedule/inspect.js';
import { artifactGroupOf, multiplierFn } from '../../src/schedule/interpolate.js';
import { paramShapesOf } from '../../src/schedule/model-info.js';
import { checkCompatible, checkParamShapes, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/run/train/checkpoint.js';
import { fusedStepPlan } from '../../src/run/train/fused.js';
import { trainBaseSchedule, trainOptimizer, trainScheduleRule } from '../../src/run/train/optimizers.js';
import { fromHostTree } from '../../src/run/train/state.js';
import { validateTrainOptions } from '../../src/run/train/train-options.js';
import { fixtureStepNormArtifact } from '../fixtures/fixture-artifact.js';
import { packCheckpoint, smallCheckpoint, unpackCheckpoint } from '../fixtures/fixture-checkpoint.js';
import { toyConfig } from '../run/train/toy.js';

const ARTIFACT_MUTATIONS = 300;
const CHECKPOINT_MUTATIONS = 200;

/** Deterministic uniform numbers in (0, 1) (Park-Miller). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Values a careless or hostile editor might put anywhere: wrong types, signs, sizes, control characters. */
const HOSTILE: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  -5,
  0.5,
  1e6,
  2 ** 40,
  -(2 ** 40),
  2 ** 53 + 2,
  1e300,
  '',
  'x',
  '\u001b[2J',
  '1e-3',
  [],
  [1, 2],
  [[0, 1]],
  {},
  { kind: 'base' },
  new Uint8Array(3),
];
/** Values that no canonical encoding holds (the artifact's checksum cannot cover them; msgpack still carries them). */
const UNENCODABLE: readonly unknown[] = [2n ** 40n, -(2n ** 63n), new Date(0)];

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] =>
  v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date);

/**
 * A random place in the tree: walks down from the root, at each level stopping with probability 1/4 (or at a
 * leaf). Returns the parent container and the key of the chosen child.
 */
function randomPlace(r: Rand, root: Record<string, unknown>): { parent: Record<string, unknown> | unknown[]; key: string | number } {
  let parent: Record<string, unknown> | unknown[] = root;
  for (;;) {
    const keys: (string | number)[] = Array.isArray(parent) ? parent.map((_, i) => i) : Object.keys(parent);
    const key = pick(r, keys);
    const child = (parent as Record<string | number, unknown>)[key];
    const childKeys = isContainer(child) ? (Array.isArray(child) ? child.length : Object.keys(child).length) : 0;
    if (childKeys === 0 || r() < 0.25) return { parent, key };
    parent = child as Record<string, unknown> | unknown[];
  }
}

/** Retypes a value: a number becomes its string or a list, a string a number, a list a map, a map a list. */
function retyped(r: Rand, v: unknown): unknown {
  if (typeof v === 'number') return r() < 0.5 ? String(v) : [v];
  if (typeof v === 'string') return r() < 0.5 ? Number(v.length) : { value: v };
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  if (isContainer(v)) return Object.values(v);
  return 'retyped';
}

/** One structural edit of the decoded map, in place; returns its description (for failure messages). */
function mutateTree(r: Rand, root: Record<string, unknown>, hostile: readonly unknown[]): string {
  const { parent, key } = randomPlace(r, root);
  const holder = parent as Record<string | number, unknown>;
  const old = holder[key];
  const op = pick(r, ['delete', 'replace', 'replace', 'retype', 'scale', 'add-key'] as const);
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete holder[key];
  } else if (op === 'replace') holder[key] = pick(r, hostile);
  else if (op === 'retype') holder[key] = retyped(r, old);
  else if (op === 'scale') holder[key] = typeof old === 'number' ? old * pick(r, [-1, 0, 2, 1e6, 1e-9, 1.5]) : pick(r, hostile);
  else if (isContainer(old) && !Array.isArray(old)) old.unknownKey = pick(r, hostile);
  else holder[key] = pick(r, hostile);
  return `${op} at ${String(key)}`;
}

/** One byte-level edit: a flipped bit, a truncation or appended bytes. */
function mutateBytes(r: Rand, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const op = pick(r, ['flip', 'truncate', 'append'] as const);
  if (op === 'flip') {
    const out = Uint8Array.from(bytes);
    const bit = Math.floor(r() * bytes.length * 8);
    out[bit >> 3] ^= 1 << (bit & 7);
    return { bytes: out, what: `flip bit ${bit}` };
  }
  if (op === 'truncate') {
    const n = Math.floor(r() * bytes.length);
    return { bytes: bytes.slice(0, n), what: `truncate to ${n}` };
  }
  return { bytes: Uint8Array.from([...bytes, 0xc1, Math.floor(r() * 256)]), what: 'append 2 bytes' };
}

/** A refusal must be one plain Error with a one-line message, never an internal failure leaking out. */
function expectCleanRefusal(err: unknown, what: string): void {
  expect(err, what).toBeInstanceOf(Error);
  const e = err as Error;
  expect(e.constructor, `${what}: ${e.message}`).toBe(Error); // not TypeError, RangeError, SyntaxError
  expect(e.message, what).not.toMatch(/\n|Cannot read properties|is not a function|is not iterable|Maximum call stack|serialize a BigInt/);
  expect(e.message.length, what).toBeGreaterThan(10);
}

/** Runs `fn`; a thrown error must be a clean refusal. Returns whether it passed. */
function passesOrRefusesCleanly(fn: () => void, what: string): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    expectCleanRefusal(err, what);
    return false;
  }
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('fuzzed schedule artifacts', () => {
  const original = fixtureStepNormArtifact();
  const good = encodeArtifact(original);
  const shapes = paramShapesOf(original.model);

  /** What train does with an accepted artifact before and at its first step, and what inspect and export print. */
  function usedLikeTrain(a: Artifact): void {
    checkArtifactMatchesModel(a, shapes);
    const o = validateTrainOptions({ optimizer: 'static', schedule: a, steps: 50, engine: 'tfjs' });
    const rule = trainScheduleRule(o, a);
    const eta = trainBaseSchedule(o, rule);
    for (const t of [0, 25, 49]) expect(Number.isFinite(eta(t)) && eta(t) >= 0).toBe(true);
    const c = multiplierFn(a, o.steps);
    for (const g of a.model.groups) for (const t of [0, 1, 25, 49]) expect(c(g.name, t)).toBeGreaterThan(0);
    const plan = fusedStepPlan({ ...o, engine: 'ort' }, eta, rule);
    expect(plan).toBeDefined();
    for (const p of a.model.params) expect(Number.isFinite(plan!.lrAt(p.name, 10))).toBe(true);
    const optimizer = trainOptimizer(o, eta, rule);
    tf.tidy(() => {
      const params = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, tf.ones(s)]));
      const state = optimizer.init(params);
      optimizer.update(params, state); // one step's update: the preconditioner must fit every tensor
    });
    JSON.stringify(exportScheduleJson(a));
    JSON.stringify(exportScheduleJson(a, 50));
    JSON.stringify(exportScheduleTorch(a));
    formatArtifactTable(a);
    JSON.stringify(artifactSummaryJson(a));
    expect(artifactGroupOf(a)(a.model.params[0].name)).toBe(a.model.params[0].group);
  }

  it('the unmutated fixture is accepted and used like train does', () => {
    usedLikeTrain(decodeArtifact(good));
  });

  it(`${ARTIFACT_MUTATIONS} seeded mutations: each is refused in one clean line or accepted and usable`, () => {
    const r = lcg(20261204);
    const counts = { accepted: 0, refused: 0, structural: 0 };
    for (let i = 0; i < ARTIFACT_MUTATIONS; i++) {
      let bytes: Uint8Array;
      let what: string;
      if (r() < 0.2) {
        ({ bytes, what } = mutateBytes(r, good));
      } else {
        counts.structural++;
        const { checksum, ...body } = unpack(good) as Record<string, unknown>;
        const unencodable = r() < 0.1;
        what = mutateTree(r, body, unencodable ? UNENCODABLE : HOSTILE);
        let encoded: Uint8Array | undefined;
        try {
          encoded = encodeContainer(body); // a valid checksum over the edited map
        } catch {
          encoded = undefined; // a value canonical msgpack refuses: store it with the old checksum, as an editor would
        }
        bytes = encoded ?? pack({ ...body, checksum });
      }
      what = `mutation ${i} (${what})`;
      let a: Artifact | undefined;
      try {
        a = decodeArtifact(bytes);
      } catch (err) {
        expectCleanRefusal(err, what);
        counts.refused++;
        continue;
      }
      counts.accepted++;
      try {
        usedLikeTrain(a);
      } catch (err) {
        throw new Error(`${what} was accepted by decodeArtifact but train, inspect or export failed on it: ${(err as Error).message}`);
      }
    }
    // Not vacuous: most edits are refused, some (unknown keys, harmless values) are accepted.
    expect(counts.refused).toBeGreaterThan(ARTIFACT_MUTATIONS / 2);
    expect(counts.accepted).toBeGreaterThan(5);
    expect(counts.structural).toBeGreaterThan(ARTIFACT_MUTATIONS / 2);
  });

  it('an accepted artifact re-encodes to a file that decodes to the same value (checksum included)', () => {
    const a = decodeArtifact(good);
    expect(checksumOf(unpack(good).model)).toBe(checksumOf(a.model));
    expect(decodeArtifact(encodeArtifact(a)).checksum).toBe(a.checksum);
  });
});

describe('fuzzed checkpoints', () => {
  const good = encodeCheckpoint(smallCheckpoint());
  const expected = smallCheckpoint();

  /** What a resuming run does with a decoded checkpoint: compare settings, check shapes, rebuild the state. */
  function resumedLikeTrain(c: Checkpoint, what: string): void {
    passesOrRefusesCleanly(
      () =>
        checkCompatible(c, {
          config: toyConfig,
          preset: 'toy',
          optimizer: expected.optimizer,
          seed: 5,
          dataFingerprint: 'data-1',
          run: expected.run,
        }),
      what,
    );
    passesOrRefusesCleanly(() => checkParamShapes(c.params, { w: [2, 2] }, 'checkpoint'), what);
    passesOrRefusesCleanly(() => tf.dispose(fromHostTree(c.optimizerState) as tf.TensorContainer), what);
    JSON.stringify(c.run);
    JSON.stringify(c.optimizer);
  }

  it('the unmutated checkpoint is accepted and resumes', () => {
    const c = decodeCheckpoint(good);
    checkCompatible(c, {
      config: toyConfig,
      preset: 'toy',
      optimizer: expected.optimizer,
      seed: 5,
      dataFingerprint: 'data-1',
      run: expected.run,
    });
    checkParamShapes(c.params, { w: [2, 2] }, 'checkpoint');
    tf.dispose(fromHostTree(c.optimizerState) as tf.TensorContainer);
  });

  it(`${CHECKPOINT_MUTATIONS} seeded mutations: each is refused in one clean line or accepted and handled cleanly on resume`, () => {
    const r = lcg(4040);
    const counts = { accepted: 0, refused: 0 };
    for (let i = 0; i < CHECKPOINT_MUTATIONS; i++) {
      let bytes: Uint8Array;
      let what: string;
      if (r() < 0.2) {
        ({ bytes, what } = mutateBytes(r, good));
      } else {
        const { outer, payload } = unpackCheckpoint(good);
        what = mutateTree(r, payload as Record<string, unknown>, r() < 0.2 ? UNENCODABLE : HOSTILE);
        bytes = packCheckpoint(outer, payload);
      }
      what = `mutation ${i} (${what})`;
      let c: Checkpoint;
      try {
        c = decodeCheckpoint(bytes);
      } catch (err) {
        expectCleanRefusal(err, what);
        counts.refused++;
        continue;
      }
      counts.accepted++;
      resumedLikeTrain(c, what);
    }
    expect(counts.refused).toBeGreaterThan(CHECKPOINT_MUTATIONS / 4);
    expect(counts.accepted).toBeGreaterThan(5);
  });
});
