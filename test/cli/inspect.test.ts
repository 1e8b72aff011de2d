/**
 * inspect on hostile artifacts: strings from the file never reach the terminal as control characters
 * (issue 23, item 11), and the plot of a step-norm artifact draws its trace from the probe's .trace file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveArtifact, saveTrace } from '../../src/schedule/files.js';
import { bertShapes, fixtureArtifact } from '../fixtures/fixture-artifact.js';
import { syntheticTrace } from '../schedule/synthetic.js';
import { cli } from './helpers.js';
import { tokenizerFingerprint } from '../../src/data/fingerprint.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-inspect-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('inspect: control characters from the file', () => {
  const hostile = fixtureArtifact();
  hostile.tool = { name: 'graftlr\u001b[2J', version: '0.1.0\nforged: line' };
  const file = path.join(dir, 'hostile.graft');
  saveArtifact(file, hostile);

  it('the table shows them escaped, on the line they belong to', async () => {
    const r = await cli('inspect', file);
    expect(r.code, r.err).toBe(0);
    // eslint-disable-next-line no-control-regex -- the check is that no control character gets through
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/); // no control character but the table's own newlines
    expect(r.out.split('\n')[0]).toBe(
      'graftlr.schedule v1, created 2025-01-02T03:04:05.000Z by graftlr\\x1b[2J 0.1.0\\nforged: line, checksum ' +
        r.out.split('\n')[0].split('checksum ')[1],
    );
    expect(r.out).not.toMatch(/^forged/m);
  });

  it("--json keeps the file's own strings, escaped by JSON", async () => {
    const r = await cli('inspect', file, '--json');
    expect(r.out).toContain('"name":"graftlr\\u001b[2J"');
    expect(JSON.parse(r.out).tool).toEqual({ name: 'graftlr\u001b[2J', version: '0.1.0\nforged: line' });
  });

  it('the plot writes them escaped (an SVG with an ESC is not valid XML)', async () => {
    const svg = path.join(dir, 'hostile.svg');
    expect((await cli('inspect', file, '--plot', svg)).code).toBe(0);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text).toContain('by graftlr\\x1b[2J 0.1.0\\nforged: line;');
    expect(text).not.toContain('\u001b');
  });
});

describe('inspect --plot --trace', () => {
  const a = fixtureArtifact();
  a.compression.options = { ...a.compression.options, target: 'stepNorm' };
  const artifact = path.join(dir, 'step-norm.graft');
  const trace = path.join(dir, 'step-norm.trace');
  saveArtifact(artifact, a);
  saveTrace(
    trace,
    syntheticTrace(() => 3, { shapes: bertShapes(), steps: [0, 10, 20] }),
  );

  it('draws the step-norm trace from the .trace file, labelled as step norms', async () => {
    const svg = path.join(dir, 'step-norm.svg');
    const r = await cli('inspect', artifact, '--plot', svg, '--trace', trace);
    expect(r.code, r.err).toBe(0);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text).toContain('>step norm m_G<');
    expect([...text.matchAll(/fill="none" stroke="[^"]+" stroke-width="1"/g)]).toHaveLength(26); // one trace per group
  });

  it('--trace without --plot is a usage error', async () => {
    expect(await cli('inspect', artifact, '--trace', trace)).toMatchObject({
      code: 2,
      err: 'graftlr inspect: --trace is only used with --plot\n',
    });
  });
});

describe("inspect: the probe's corpus and tokenizer", () => {
  it('shows them, escaped, and says when a file records neither', async () => {
    const tokens = ['[PAD]', '[UNK]', 'the'];
    const a = fixtureArtifact();
    a.probe = {
      ...a.probe,
      corpus: 'moby-dick: train = \u001b[2J',
      tokenizer: { fingerprint: tokenizerFingerprint(tokens), vocabSize: 3 },
    };
    a.vocabulary = { tokens, counts: Int32Array.from([0, 4, 1200]) };
    const file = path.join(dir, 'with-tokenizer.graft');
    saveArtifact(file, a);
    const r = await cli('inspect', file);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toContain('corpus:      moby-dick: train = \\x1b[2J');
    expect(lines).toContain(
      `tokenizer:   3 tokens, fingerprint ${tokenizerFingerprint(tokens).slice(0, 12)}; vocabulary and token counts recorded ` +
        '(1,204 training tokens): train re-indexes token-indexed entries for another tokenizer',
    );
    const json = JSON.parse((await cli('inspect', file, '--json')).out);
    expect(json.probe.tokenizer).toEqual({ fingerprint: tokenizerFingerprint(tokens), vocabSize: 3 });
    expect(json.vocabulary).toEqual({ tokens: 3, countedTokens: 1204 });

    const old = path.join(dir, 'old.graft');
    saveArtifact(old, fixtureArtifact());
    const oldLines = (await cli('inspect', old)).out.split('\n');
    expect(oldLines).toContain('corpus:      not recorded');
    expect(oldLines).toContain('tokenizer:   not recorded; no vocabulary recorded: train applies token-indexed entries as they are');
  });
});
