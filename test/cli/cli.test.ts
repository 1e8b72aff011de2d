/**
 * The command line as a user meets it: help, usage errors (exit 2), one-line failures (exit 1),
 * and the extract -> inspect -> train chain on a small corpus.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/registry.js';
import { loadCheckpoint } from '../../src/run/train/checkpoint.js';
import { cli, fastRunFlags, smallCorpus } from './helpers.js';

describe('help and usage errors', () => {
  it('every command prints --help with its usage line and exits 0', async () => {
    for (const c of commands()) {
      const r = await cli(c.name, '--help');
      expect(r.code, c.name).toBe(0);
      expect(r.out).toContain(`usage: ${c.usage}`);
    }
  });

  it('no command: overview on stdout, exit 2; unknown command or flag: exit 2 with one line', async () => {
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.out).toContain('commands:');
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err.trim().split('\n')).toHaveLength(1);
    const badFlag = await cli('inspect', 'x.graft', '--colour');
    expect(badFlag).toMatchObject({ code: 2, err: 'graftlr inspect: unknown flag --colour (see --help)\n' });
    const badValue = await cli('train', '--steps', 'many');
    expect(badValue).toMatchObject({ code: 2, err: 'graftlr train: --steps many: expected an integer\n' });
    const badStd = await cli('train', '--init-std', '0', '--optimizer', 'sgd');
    expect(badStd).toMatchObject({ code: 2, err: 'graftlr train: --init-std 0: expected a number in (0, 1)\n' }); // refused before the backend starts
  });

  it('a missing artifact is one line, exit 1', async () => {
    const r = await cli('inspect', '/nonexistent/a.graft');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^graftlr inspect: .*not found.*\n$/);
  });
});

describe('extract -> inspect -> train on a small corpus', () => {
  const { dir, corpus } = smallCorpus();
  const run = fastRunFlags(corpus, dir);
  const artifact = path.join(dir, 'tiny.graft');

  beforeAll(async () => {
    // No stability limits (factored.test.ts measures them): each costs a forward pass per group on the cpu backend.
    const r = await cli(
      'extract',
      ...run,
      '--engine',
      'tfjs',
      '--steps',
      '3',
      '--total-steps',
      '30',
      '--stability-batches',
      '0',
      '--out',
      artifact,
    );
    expect(r.code, r.err).toBe(0);
  });

  it('extract writes artifact, trace and metrics log; the table lists every tiny parameter', () => {
    expect(fs.existsSync(artifact)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'tiny.trace'))).toBe(true);
    const log = fs.readFileSync(path.join(dir, 'tiny.metrics.jsonl'), 'utf8').trim().split('\n');
    expect(log.map((l) => JSON.parse(l).step)).toEqual([0, 1, 2]); // 3 probe steps
  });

  it('inspect --json reports 42 groups for tiny (5 embedding + 16 per layer x 2 + 5 head) and plots a PNG', async () => {
    const png = path.join(dir, 'plot.png');
    const r = await cli('inspect', artifact, '--json', '--plot', png);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.groups).toHaveLength(42);
    const head = fs.readFileSync(png).subarray(0, 8);
    expect([...head]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('a bit-flipped artifact is refused with a one-line checksum message', async () => {
    const bytes = fs.readFileSync(artifact);
    bytes[bytes.length - 100] ^= 0x01;
    const bad = path.join(dir, 'flipped.graft');
    fs.writeFileSync(bad, bytes);
    const r = await cli('inspect', bad);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('train --momentum keeps one buffer per parameter (reported as state, NOT stateless) and changes the steps after the first', async () => {
    const trainWith = async (name: string, extra: string[]) => {
      const out = path.join(dir, name);
      const r = await cli(
        'train',
        ...run,
        '--schedule',
        artifact,
        '--steps',
        '2',
        '--checkpoint-every',
        '0',
        '--out',
        out,
        '--json',
        ...extra,
      );
      expect(r.code, r.err).toBe(0);
      return { summary: JSON.parse(r.out), ckpt: loadCheckpoint(out) };
    };
    const plain = await trainWith('static-plain', []);
    const heavy = await trainWith('static-momentum', ['--momentum', '0.9']);
    expect(plain.summary.optimizerStateBytes).toBe(0);
    expect(heavy.summary.statefulParams).toBe(heavy.summary.paramCount);
    expect(heavy.summary.optimizerStateBytes).toBe(4 * heavy.summary.paramCount); // one float32 buffer
    const name = 'encoder.layer.0.attention.self.query.kernel';
    const [a, b] = [plain.ckpt.params[name].data, heavy.ckpt.params[name].data];
    expect(a.some((v, i) => Math.abs(v - b[i]) > 1e-9)).toBe(true); // step 2 moved along b = 0.9 g1 + g2, not g2
    const adam = await cli('train', ...run, '--optimizer', 'adam', '--momentum', '0.9', '--steps', '1');
    expect(adam.code).toBe(1);
    expect(adam.err).toMatch(/momentum is only used by optimizer "static"/);
  });

  it('an artifact made for tiny is refused by a mini run before any step', async () => {
    const r = await cli('train', ...run, '--preset', 'mini', '--schedule', artifact, '--steps', '2', '--out', path.join(dir, 'm'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/fingerprint .* re-run extract/);
    expect(fs.existsSync(path.join(dir, 'm', 'metrics.jsonl'))).toBe(false);
  });

  it('train --init-std sets the model config (kept in the checkpoint) and the scale of the initial weights', async () => {
    const trainAt = async (std: string) => {
      const out = path.join(dir, `init-${std}`);
      const r = await cli(
        'train',
        ...run,
        '--optimizer',
        'sgd',
        '--lr',
        '1e-30',
        '--steps',
        '1',
        '--init-std',
        std,
        '--out',
        out,
        '--json',
      );
      expect(r.code, r.err).toBe(0);
      return loadCheckpoint(out);
    };
    const [small, large] = [await trainAt('0.01'), await trainAt('0.04')];
    expect(small.model.config.initStd).toBe(0.01);
    expect(large.model.config.initStd).toBe(0.04);
    // Same seed, same truncated-normal draws times the std: after a 1e-30 step every kernel is 4x larger.
    const name = 'encoder.layer.0.attention.self.query.kernel';
    const [a, b] = [small.params[name].data, large.params[name].data];
    for (let i = 0; i < a.length; i += 97) expect(b[i]).toBeCloseTo(4 * a[i], 6);
  });

  it("train --beta1/--beta2 set Adam's moment decays (kept in the checkpoint; a resume with others is refused; stateless optimizers refuse them)", async () => {
    const out = path.join(dir, 'adam-b0');
    const r = await cli('train', ...run, '--optimizer', 'adam', '--beta1', '0', '--beta2', '0.99', '--steps', '2', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    expect(loadCheckpoint(out).optimizer).toMatchObject({ name: 'adam', beta1: 0, beta2: 0.99 });
    const resumed = await cli('train', ...run, '--optimizer', 'adam', '--steps', '2', '--out', out, '--resume');
    expect(resumed.code).toBe(1);
    expect(resumed.err).toMatch(/beta1/);
    const sgd = await cli('train', ...run, '--optimizer', 'sgd', '--beta1', '0', '--steps', '1');
    expect(sgd.code).toBe(1);
    expect(sgd.err).toMatch(
      /\ngraftlr train: train: beta1 sets Adam's moments: optimizer "sgd" keeps none; use it with optimizer adam, graft or hybrid\n$/,
    );
  });

  it('train --schedule runs stateless SGD: 0 bytes of optimizer state, finite held-out loss', async () => {
    const out = path.join(dir, 'run');
    const r = await cli('train', ...run, '--engine', 'tfjs', '--schedule', artifact, '--steps', '3', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.optimizerStateBytes).toBe(0);
    expect(s.step).toBe(3);
    expect(Number.isFinite(s.heldout.loss)).toBe(true);
    expect(r.err).toContain('optimizer state: 0 bytes');
  });

  it('export -> train --init model.onnx starts from the exported weights (same held-out loss after a 1e-30 step)', async () => {
    const out = path.join(dir, 'run');
    const source = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    const onnx = path.join(dir, 'model.onnx');
    const exported = await cli('export', '--checkpoint', out, '--out', onnx);
    expect(exported.code, exported.err).toBe(0);
    const r = await cli(
      'train',
      ...run,
      '--engine',
      'tfjs',
      '--optimizer',
      'sgd',
      '--lr',
      '1e-30',
      '--steps',
      '1',
      '--init',
      onnx,
      '--out',
      path.join(dir, 'from-onnx'),
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).heldout.loss).toBeCloseTo(source.heldout.loss, 5);
    const fresh = await cli(
      'train',
      ...run,
      '--engine',
      'tfjs',
      '--optimizer',
      'sgd',
      '--lr',
      '1e-30',
      '--steps',
      '1',
      '--out',
      path.join(dir, 'fresh'),
      '--json',
    );
    expect(Math.abs(JSON.parse(fresh.out).heldout.loss - source.heldout.loss)).toBeGreaterThan(1e-3);
  });
});
