/**
 * Checkpoints are written tensor by tensor (checkpointChunks through writeFileAtomic): the file decodes to
 * the same checkpoint as the one-buffer encoding, and writing one does not hold a second copy of the model
 * in memory (at BERT-large, 1.2 GB of parameters, a second and third copy were what the one-buffer encoding
 * cost: the payload, then the outer map around it).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointChunks, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from '../../../src/run/train/checkpoint.js';
import type { HostTree } from '../../../src/run/train/state.js';
import { smallCheckpoint } from '../../fixtures/fixture-checkpoint.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-ckpt-stream-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The small checkpoint plus a tensor large enough to be streamed (64 KiB) and one in the optimizer state. */
function withLargeTensors() {
  const c = smallCheckpoint();
  const big = Float32Array.from({ length: 16384 }, (_, i) => Math.sin(i) * 1e-3);
  c.params = { ...c.params, big: { shape: [128, 128], data: big } };
  c.optimizerState = {
    ...(c.optimizerState as object),
    v: { big: { $tensor: { dtype: 'f32', shape: [128, 128], data: new Uint8Array(big.buffer) } as unknown as HostTree } },
  };
  return c;
}

describe('streamed checkpoints', () => {
  it('decode to the same checkpoint as the one-buffer encoding, and the file reads back', () => {
    const c = withLargeTensors();
    const chunks = [...checkpointChunks(c)];
    // The tensors are yielded as views of their own arrays, not copies.
    expect(chunks.some((chunk) => chunk.buffer === c.params.big.data.buffer)).toBe(true);
    const streamed = Buffer.concat(chunks);
    const whole = encodeCheckpoint(c);
    expect(decodeCheckpoint(streamed)).toEqual(decodeCheckpoint(whole));
    saveCheckpoint(path.join(tmp, 'a'), c);
    const read = loadCheckpoint(path.join(tmp, 'a'));
    expect(read.params.big.data).toEqual(c.params.big.data);
    expect(read.step).toBe(3);
  });

  it('a flipped byte in a streamed file is refused by its checksum', () => {
    const bytes = Buffer.concat([...checkpointChunks(withLargeTensors())]);
    bytes[bytes.length - 200] ^= 1; // inside the payload
    expect(() => decodeCheckpoint(bytes)).toThrow(/checksum mismatch/);
  });

  it('writing 256 MiB of parameters raises the peak memory by far less than 256 MiB', () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'checkpoint-memory-child.ts'), path.join(tmp, 'big'), '256'],
      { encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(0);
    const { grewBytes } = JSON.parse(child.stdout) as { grewBytes: number };
    expect(grewBytes).toBeLessThan(64 * 2 ** 20); // one-buffer encoding: about 512 MiB (payload + outer map)
    expect(fs.statSync(path.join(tmp, 'big', 'checkpoint.msgpack')).size).toBeGreaterThan(256 * 2 ** 20);
  }, 60_000);
});
