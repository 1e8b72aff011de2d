/**
 * artifacts/FORMAT.md is tested as written: its Python reader reads the committed fixture artifact
 * (verifying the checksum), and its PyTorch helper functions give graftlr's numbers.
 * Needs /usr/bin/python3 with the msgpack package (Debian: apt-get install python3-msgpack).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildArtifact, decodeArtifact, encodeArtifact } from '../../src/schedule/artifact.js';
import { compressTrace } from '../../src/schedule/compress.js';
import { tokenizerFingerprint } from '../../src/data/fingerprint.js';
import { preconditionerValues } from '../../src/optim/precondition.js';
import { factorSecondMoment, type SecondMoments } from '../../src/schedule/second-moments.js';
import { SHAPES, syntheticTrace } from './synthetic.js';
import { multiplierAt, type GroupSchedule } from '../../src/schedule/interpolate.js';
import { stretchSchedule } from '../../src/optim/schedule-spec.js';
import type { ScheduleSpec } from '../../src/optim/schedules.js';

const FORMAT_MD = fs.readFileSync(new URL('../../artifacts/FORMAT.md', import.meta.url), 'utf8');
const FIXTURE = new URL('../fixtures/schedule-v1.graft', import.meta.url).pathname;

/** The ```python block right after the marker comment `<!-- test: <name>`. */
function pythonBlock(name: string): string {
  const at = FORMAT_MD.indexOf(`<!-- test: ${name}`);
  if (at < 0) throw new Error(`FORMAT.md has no block marked "${name}"`);
  const m = /```python\n([\s\S]*?)```/.exec(FORMAT_MD.slice(at));
  if (!m) throw new Error(`no python block after marker "${name}"`);
  return m[1];
}

function python(code: string, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/usr/bin/python3', ['-', ...args], { input: code, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run /usr/bin/python3 (${r.error.message}): install python3 and python3-msgpack`);
  if (/No module named 'msgpack'/.test(r.stderr)) throw new Error('python3 lacks msgpack: apt-get install python3-msgpack');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('FORMAT.md Python reader', () => {
  const reader = pythonBlock('python-reader');
  const artifact = decodeArtifact(fs.readFileSync(FIXTURE));

  it('reads the fixture, verifies its checksum, and prints every group schedule', () => {
    const r = python(reader, [FIXTURE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(artifact.model.groups.length);
    lines.forEach((line, i) => {
      const name = artifact.model.groups[i].name;
      expect(line.startsWith(`${name} `)).toBe(true);
      const s = artifact.groups[name];
      // Python prints floats with repr (shortest round-trip), so JSON.parse gives back the same doubles.
      expect(JSON.parse(line.slice(name.length + 1))).toEqual('constant' in s ? s.constant : s.knots);
    });
  });

  it("reads an artifact with the probe's vocabulary (checksum over its zlib bytes) and inflates pieces and counts", () => {
    const tokens = ['[PAD]', '[UNK]', 'the', '##s', 'état'];
    const withVocab = {
      ...artifact,
      probe: { ...artifact.probe, corpus: 'sotu', tokenizer: { fingerprint: tokenizerFingerprint(tokens), vocabSize: 5 } },
      vocabulary: { tokens, counts: Int32Array.from([0, 2, 90, 7, 1]) },
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-py-')), 'vocab.graft');
    fs.writeFileSync(file, encodeArtifact(withVocab));
    const r = python(
      `${reader}\nimport json, zlib, struct\nv = art["vocabulary"]\n` +
        `words = zlib.decompress(v["tokens"]).decode("utf8").split("\\n")[:-1]\n` +
        `counts = list(struct.unpack("<%di" % v["size"], zlib.decompress(v["counts"])))\n` +
        `print(json.dumps([words, counts, art["probe"]["tokenizer"]["vocabSize"]]))`,
      [file],
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual([tokens, [0, 2, 90, 7, 1], 5]);
  });

  it('decodes the little-endian float arrays to the same values', () => {
    const r = python(
      `${reader}\nimport json\nc = array(art["trace"]["c"])\nprint(json.dumps([len(c)] + c[6:40] + array(art["trace"]["fraction"])))`,
      [FIXTURE],
    );
    expect(r.status).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const t = artifact.trace!;
    expect(got).toEqual([t.c.length, ...Array.from(t.c.subarray(6, 40)), ...Array.from(t.fraction)]);
  });

  it('refuses a corrupted copy with a checksum mismatch', () => {
    const bytes = fs.readFileSync(FIXTURE);
    bytes[bytes.length - 400] ^= 0x20;
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-py-')), 'bad.graft');
    fs.writeFileSync(tmp, bytes);
    const r = python(reader, [tmp]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ValueError: checksum mismatch: the file is corrupted/);
    fs.rmSync(path.dirname(tmp), { recursive: true });
  });
});

describe('FORMAT.md PyTorch helpers', () => {
  it('multiplier() and base_lr() agree with graftlr (multiplierAt, stretched base schedule)', () => {
    const entries: GroupSchedule[] = [
      { constant: 0.3 },
      {
        knots: [
          [0, 40],
          [0.01, 10],
          [0.02, 5],
        ],
      },
      {
        knots: [
          [0.1, 2],
          [0.5, 0.02],
          [0.9, 7],
        ],
      },
    ];
    const fracs = [-1, 0, 0.005, 0.01, 0.013, 0.3, 0.5, 0.77, 0.9, 2];
    const bases: ScheduleSpec[] = [
      { kind: 'base', peakLr: 1e-3, warmupSteps: 120, totalSteps: 1200, decay: 'linear', endLr: 0 },
      { kind: 'base', peakLr: 2e-3, warmupSteps: 120, totalSteps: 1200, decay: 'cosine', endLr: 1e-5 },
      { kind: 'base', peakLr: 5e-4, warmupSteps: 30, totalSteps: 1200, decay: 'inverse-sqrt', endLr: 0 },
      { kind: 'base', peakLr: 1e-3, warmupSteps: 0, totalSteps: 1200, decay: 'constant', endLr: 0 },
    ];
    // total 1005: warmup 120 * 1005 / 1200 = 100.5 rounds half up to 101 in both languages.
    const totals = [1005, 1250, 4000];
    const steps = [0, 1, 50, 100, 101, 124, 125, 600, 1004, 1249, 3999, 5000];
    const code = `${pythonBlock('torch-helpers')}
import sys
entries, fracs, bases, totals, steps = json.loads(open(sys.argv[1]).read())
print(json.dumps([[multiplier(e, f) for f in fracs] for e in entries]))
print(json.dumps([[[base_lr(s, b, t) for s in steps] for t in totals] for b in bases]))`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-py-'));
    fs.writeFileSync(path.join(dir, 'in.json'), JSON.stringify([entries, fracs, bases, totals, steps]));
    const r = python(code, [path.join(dir, 'in.json')]);
    fs.rmSync(dir, { recursive: true });
    expect(r.stderr).toBe('');
    const [mult, base] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    entries.forEach((e, i) => fracs.forEach((f, j) => expect(mult[i][j] / multiplierAt(e, f)).toBeCloseTo(1, 12)));
    bases.forEach((b, i) =>
      totals.forEach((t, j) => {
        const eta = stretchSchedule(b, t);
        steps.forEach((s, k) => expect(base[i][j][k]).toBeCloseTo(eta(s), 15));
      }),
    );
  });
});

describe('FORMAT.md Python reader on a version-2 artifact with a factored preconditioner', () => {
  it('reads it and rebuilds P = 1/sqrt(rows_i cols_j / mean(rows) + eps^2) as graftlr does', () => {
    const trace = syntheticTrace(() => 3);
    const params: SecondMoments['params'] = {};
    for (const [name, shape] of Object.entries(SHAPES)) {
      const n = shape.reduce((a, d) => a * d, 1);
      params[name] = factorSecondMoment(
        Array.from({ length: n }, (_, i) => 1e-5 * (1 + ((3 * i) % 11))),
        shape,
      );
    }
    trace.secondMoments = { step: 50, beta2: 0.999, params };
    const art = buildArtifact({ trace, compressed: compressTrace(trace, { target: 'stepNorm', preconditioner: 'factored' }) });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-py-'));
    const file = path.join(dir, 'v2.graft');
    fs.writeFileSync(file, encodeArtifact(art));
    const name = 'encoder.layer.0.attention.self.query.kernel';
    const code = `${pythonBlock('python-reader')}
import json, math
f = art["preconditioner"]["params"]["${name}"]
r, c = array(f["rows"]), array(f["cols"])
m = sum(r) / len(r)
print(json.dumps([1 / math.sqrt(r[i] * c[j] / m + f["eps"] ** 2) for i in range(len(r)) for j in range(len(c))]))`;
    const out = python(code, [file]);
    fs.rmSync(dir, { recursive: true });
    expect(out.stderr).toBe('');
    const lines = out.stdout.trim().split('\n');
    expect(lines.length).toBe(art.model.groups.length + 1); // the reader's group lines, then P
    const P = JSON.parse(lines[lines.length - 1]) as number[];
    const expected = preconditionerValues(art.preconditioner!.params[name]);
    expect(P.length).toBe(64);
    P.forEach((v, i) => expect(v / expected[i]).toBeCloseTo(1, 12));
  });
});
