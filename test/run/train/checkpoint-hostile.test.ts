/**
 * Checkpoints whose checksum is valid but whose payload holds values graftlr never writes (issue item 10: a
 * 2^40 dimension ended in "Do not know how to serialize a BigInt"). msgpack decodes a uint64 to a BigInt; each
 * such file must be refused by decodeCheckpoint in one line naming the file, before anything compares or
 * allocates from it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, type Checkpoint } from '../../../src/run/train/checkpoint.js';
import { checkpointPackr, checkpointUnpackr, editedCheckpoint, smallCheckpoint } from '../../fixtures/fixture-checkpoint.js';
import { toyConfig } from './toy.js';

const packr = checkpointPackr,
  unpackr = checkpointUnpackr;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-ckpt-hostile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const GOOD = encodeCheckpoint(smallCheckpoint());

/** Writes the bytes as a checkpoint folder and loads it as a resuming run would (with its expectations). */
function loadAsResume(name: string, bytes: Uint8Array): () => Checkpoint {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, CHECKPOINT_FILE), bytes);
  const c = smallCheckpoint();
  return () =>
    loadCheckpoint(dir, { config: toyConfig, preset: 'toy', optimizer: c.optimizer, seed: 5, dataFingerprint: 'data-1', run: c.run });
}

describe('checkpoints with impossible shapes or 64-bit integers (item 10)', () => {
  it('the unedited checkpoint loads', () => {
    expect(loadAsResume('good', GOOD)().step).toBe(3);
  });

  it('refuses a 2^40 dimension, as a 64-bit integer (BigInt) or as a float, naming the file', () => {
    const asBigInt = editedCheckpoint(GOOD, (p) => {
      p.params.w.shape = [2n ** 40n, 0n];
      p.params.w.data = new Uint8Array(0);
    });
    const file = path.join(tmp, 'bigint-shape', CHECKPOINT_FILE);
    expect(loadAsResume('bigint-shape', asBigInt)).toThrow(
      `checkpoint ${file} is corrupt (params.w: bad shape [1099511627776,0]: expected integers in [0, 2147483647]): delete it and resume from an earlier copy, or start the run again`,
    );
    const asFloat = editedCheckpoint(GOOD, (p) => {
      p.optimizerState.m.w.$tensor.shape = [2 ** 40, 0];
      p.optimizerState.m.w.$tensor.data = new Uint8Array(0);
    });
    expect(() => decodeCheckpoint(asFloat)).toThrow(
      'checkpoint is corrupt (optimizerState.m.w: bad shape [1099511627776,0]: expected integers in [0, 2147483647])',
    );
  });

  it('refuses a shape whose element count exceeds 2^31 - 1 even when every axis fits', () => {
    const big = editedCheckpoint(GOOD, (p) => {
      p.params.w.shape = [65536, 65536, 65536, 1];
    });
    expect(() => decodeCheckpoint(big)).toThrow(
      'params.w: shape [65536,65536,65536,1] declares 281474976710656 elements, more than 2147483647',
    );
  });

  it('refuses a 64-bit integer where the run compares plain data (config, run options, optimizer, step, seed)', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each case writes into a decoded checkpoint's untyped tree
    const cases: [string, (p: any) => void, string][] = [
      [
        'config',
        (p) => {
          p.model.config.hiddenSize = 2n ** 40n;
        },
        'model.config.hiddenSize must be a number, got the 64-bit integer 1099511627776',
      ],
      [
        'config-float',
        (p) => {
          p.model.config.hiddenSize = 2 ** 40;
        },
        'model.config.hiddenSize is 1099511627776, above 2147483647: no model has such a dimension',
      ],
      [
        'run',
        (p) => {
          p.run.steps = 2n ** 40n;
        },
        'run.steps holds the 64-bit integer 1099511627776, which graftlr never writes',
      ],
      [
        'optimizer',
        (p) => {
          p.optimizer.hyperparameters.lr = 2n ** 40n;
        },
        'optimizer.hyperparameters.lr holds the 64-bit integer 1099511627776',
      ],
      [
        'step',
        (p) => {
          p.step = 2n ** 40n;
        },
        'step must be an integer >= 0, got the 64-bit integer 1099511627776',
      ],
      [
        'seed',
        (p) => {
          p.seed = -1;
        },
        'seed must be an integer >= 0, got -1',
      ],
      [
        'date',
        (p) => {
          p.createdAt = new Date(0);
        },
        'createdAt must be a string, got [object Date]',
      ],
      [
        'state-key',
        (p) => {
          p.optimizerState.$other = 1;
        },
        'optimizerState.$other is a reserved key',
      ],
      [
        'dtype',
        (p) => {
          p.optimizerState.m.w.$tensor.dtype = 7;
        },
        'optimizerState.m.w: dtype must be a string (f32, i32 or bool)',
      ],
      [
        'no-params',
        (p) => {
          p.params = null;
        },
        'params must be a map of arrays',
      ],
      [
        'no-config',
        (p) => {
          p.model = {};
        },
        'model.config must be a map, got nothing',
      ],
    ];
    for (const [name, edit, message] of cases) {
      const file = path.join(tmp, name, CHECKPOINT_FILE);
      const load = loadAsResume(name, editedCheckpoint(GOOD, edit));
      expect(load, name).toThrow(`checkpoint ${file} is corrupt (${message}`);
      try {
        load();
      } catch (err) {
        expect(err, name).not.toBeInstanceOf(TypeError);
        expect((err as Error).message, name).not.toContain('\n');
      }
    }
  });

  it('refuses a format or version field that is a 64-bit integer without failing to print it', () => {
    const outer = unpackr.unpack(GOOD) as Record<string, unknown>;
    expect(() => decodeCheckpoint(packr.pack({ ...outer, format: 2n ** 40n }))).toThrow(
      'not a checkpoint: expected format "graftlr.checkpoint" but its format is the 64-bit integer 1099511627776: pass a file written by graftlr',
    );
    expect(() => decodeCheckpoint(packr.pack({ ...outer, version: 2n ** 40n }))).toThrow(
      'checkpoint has an invalid version the 64-bit integer 1099511627776: the file is corrupted; delete it',
    );
  });
});
