import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../src/model/config.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { exportCheckpoint } from '../../src/onnx/export-checkpoint.js';
import { DATA_KEY, importOnnx } from '../../src/onnx/export.js';
import { readHfFolder } from '../../src/io/hf.js';
import { parseArgs } from '../../src/cli/args.js';
import { exportCommand } from '../../src/cli/export.js';
import { randomHostParams } from './reference.js';

const root = mkdtempSync(join(tmpdir(), 'graftlr-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = presetConfig('tiny', { vocabSize: 24, maxPositions: 8 });
const params = randomHostParams(config, 2);

function makeRun(name: string): string {
  const dir = join(root, name);
  saveCheckpoint(dir, {
    step: 7, createdAt: '2024-01-01T00:00:00Z', model: { config, preset: 'tiny' }, optimizer: { name: 'sgd' },
    run: { seqLen: 8, corpus: 'sotu', steps: 10 }, dataFingerprint: 'abc123', seed: 1, backend: 'cpu', engine: 'tfjs',
    params, optimizerState: null,
  });
  writeFileSync(join(dir, 'tokenizer.json'), '{"tok": 1}');
  return dir;
}

describe('exportCheckpoint', () => {
  it('writes an ONNX file holding the checkpoint weights, config and data description, and a Hugging Face folder', () => {
    const dir = makeRun('run-a');
    const out = join(root, 'a', 'model.onnx');
    const report = exportCheckpoint({ checkpoint: dir, out, safetensors: join(root, 'a', 'hf') });
    expect(report.step).toBe(7);
    // tiny with V = 24, P = 8: 24*128 + 8*128 + 2*128 + 2*128 (embeddings) + 2 layers * 198272 + 128*128 + 3*128 + 24
    // layer = 4 * (128*128 + 128) + 2 * 2 * 128 + 128*512 + 512 + 512*128 + 128 = 198272
    expect(report.parameters).toBe(24 * 128 + 8 * 128 + 2 * 128 + 2 * 128 + 2 * 198272 + 128 * 128 + 3 * 128 + 24);
    const back = importOnnx(new Uint8Array(readFileSync(out)));
    expect(back.config).toEqual(config);
    for (const name of Object.keys(params)) expect(Array.from(back.params[name].data)).toEqual(Array.from(params[name].data));
    expect(JSON.parse(back.metadata[DATA_KEY])).toEqual({ dataFingerprint: 'abc123', corpus: 'sotu', seqLen: 8 });
    expect(readFileSync(join(root, 'a', 'hf', 'tokenizer.json'), 'utf8')).toBe('{"tok": 1}');
    expect(readHfFolder(join(root, 'a', 'hf')).params['cls.predictions.bias'].data).toEqual(params['cls.predictions.bias'].data);
  });

  it('is reachable as `graftlr export` and reports JSON', async () => {
    const dir = makeRun('run-b');
    const out = join(root, 'b.onnx');
    const lines: string[] = [], errors: string[] = [];
    const io = { out: (s: string) => lines.push(s), err: (s: string) => errors.push(s), env: {} };
    const rc = await exportCommand.run(parseArgs(['--checkpoint', dir, '--out', out, '--json'], exportCommand.flags), io);
    expect(rc).toBe(0);
    const json = JSON.parse(lines[0]);
    expect(json).toMatchObject({ onnx: out, step: 7, hfFiles: [], tokenizer: null });
    expect(json.onnxBytes).toBe(readFileSync(out).length);
    expect(errors[0]).toMatch(/^backend: none/);
    await expect(exportCommand.run(parseArgs(['--out', out], exportCommand.flags), io)).rejects.toThrow(/--checkpoint and --out are required/);
    await expect(exportCommand.run(parseArgs(['--checkpoint', join(root, 'missing'), '--out', join(root, 'c.onnx')], exportCommand.flags), io))
      .rejects.toThrow(/checkpoint not found/);
    expect(existsSync(join(root, 'c.onnx'))).toBe(false);
  });
});
