import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../../src/model/config.js';
import { saveCheckpoint } from '../../../src/run/train/checkpoint.js';
import { exportCheckpoint } from '../../../src/run/train/export-checkpoint.js';
import { DATA_KEY, importOnnx } from '../../../src/model/onnx/export.js';
import { readHfFolder } from '../../../src/model/hf.js';
import { parseArgs } from '../../../src/cli/args.js';
import { exportCommand } from '../../../src/cli/export.js';
import { randomHostParams } from '../../model/onnx/reference.js';

const root = mkdtempSync(join(tmpdir(), 'graftlr-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = presetConfig('tiny', { vocabSize: 24, maxPositions: 8 });
const params = randomHostParams(config, 2);

function makeRun(name: string): string {
  const dir = join(root, name);
  saveCheckpoint(dir, {
    step: 7,
    createdAt: '2024-01-01T00:00:00Z',
    model: { config, preset: 'tiny' },
    optimizer: { name: 'sgd' },
    run: { seqLen: 8, corpus: 'sotu', steps: 10 },
    dataFingerprint: 'abc123',
    seed: 1,
    backend: 'cpu',
    engine: 'tfjs',
    params,
    optimizerState: null,
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
    const lines: string[] = [],
      errors: string[] = [];
    const io = { out: (s: string) => lines.push(s), err: (s: string) => errors.push(s), env: {} };
    const rc = await exportCommand.run(parseArgs(['--checkpoint', dir, '--out', out, '--json'], exportCommand.flags), io);
    expect(rc).toBe(0);
    const json = JSON.parse(lines[0]);
    expect(json).toMatchObject({ onnx: out, step: 7, hfFiles: [], tokenizer: null });
    expect(json.onnxBytes).toBe(readFileSync(out).length);
    expect(errors[0]).toMatch(/^backend: none/);
    await expect(exportCommand.run(parseArgs(['--out', out], exportCommand.flags), io)).rejects.toThrow(
      /--checkpoint and --out are required/,
    );
    await expect(
      exportCommand.run(parseArgs(['--checkpoint', join(root, 'missing'), '--out', join(root, 'c.onnx')], exportCommand.flags), io),
    ).rejects.toThrow(/checkpoint not found/);
    expect(existsSync(join(root, 'c.onnx'))).toBe(false);
  });

  it('refuses a checkpoint folder, checkpoint file or tokenizer.json inside the run that is a symbolic link (issue 23)', () => {
    const elsewhere = makeRun('elsewhere'); // holds checkpoint.msgpack and tokenizer.json
    const linkedFolder = join(root, 'linked-folder');
    mkdirSync(linkedFolder);
    symlinkSync(elsewhere, join(linkedFolder, 'checkpoint'));
    expect(() => exportCheckpoint({ checkpoint: linkedFolder, out: join(root, 'l1.onnx') })).toThrow(
      `${join(linkedFolder, 'checkpoint')} is a symbolic link (to ${elsewhere}): export reads only the run's own checkpoint folder; name the real folder with --checkpoint if you mean it`,
    );
    const linkedFile = join(root, 'linked-file');
    mkdirSync(linkedFile);
    symlinkSync(join(elsewhere, 'checkpoint.msgpack'), join(linkedFile, 'checkpoint.msgpack'));
    expect(() => exportCheckpoint({ checkpoint: linkedFile, out: join(root, 'l2.onnx') })).toThrow(
      /checkpoint\.msgpack is a symbolic link .*: export reads only the run's own checkpoint;/,
    );
    expect(existsSync(join(root, 'l1.onnx')) || existsSync(join(root, 'l2.onnx'))).toBe(false);
    // a tokenizer.json that points elsewhere (here a stand-in for a private file) is not copied into the export
    const run = makeRun('linked-tokenizer');
    const secret = join(root, 'secret.txt');
    writeFileSync(secret, 'not for export');
    rmSync(join(run, 'tokenizer.json'));
    symlinkSync(secret, join(run, 'tokenizer.json'));
    expect(() => exportCheckpoint({ checkpoint: run, out: join(root, 'l3.onnx'), safetensors: join(root, 'l3') })).toThrow(
      `${join(run, 'tokenizer.json')} is a symbolic link (to ${secret}): export reads only the run's own tokenizer; pass --tokenizer <file> to copy that file`,
    );
    expect(existsSync(join(root, 'l3'))).toBe(false);
    // named by the user, the folder the link points to is exported
    expect(exportCheckpoint({ checkpoint: elsewhere, out: join(root, 'l4.onnx') }).step).toBe(7);
  });

  it('writes the ONNX file and the folder together and removes the temporaries of a killed export', () => {
    const dir = makeRun('run-stale');
    const out = join(root, 'stale', 'model.onnx');
    const hf = join(root, 'stale', 'hf');
    mkdirSync(hf, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a process that no longer runs
    const left = [join(root, 'stale', `.model.onnx.${dead}.00ff00ff00ff.tmp`), join(hf, `.model.safetensors.${dead}.00ff00ff00ff.tmp`)];
    for (const f of left) writeFileSync(f, 'partial');
    const report = exportCheckpoint({ checkpoint: dir, out, safetensors: hf });
    expect(report.removedTemporaries.sort()).toEqual([...left].sort());
    expect(report.hfFiles).toEqual(['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => join(hf, f)));
    expect([...readdirSync(join(root, 'stale')), ...readdirSync(hf)].filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(readHfFolder(hf).params['cls.predictions.bias'].data).toEqual(params['cls.predictions.bias'].data);
  });
});
