/**
 * `graftlr fill-mask` and `graftlr eval` end to end on small files: a bias-only model whose outputs
 * follow by hand, a 12-piece tokenizer, and a tiny text corpus.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/cli/args.js';
import type { Command } from '../../../src/cli/command.js';
import { evalCommand } from '../../../src/cli/eval.js';
import { fillMaskCommand } from '../../../src/cli/fill-mask.js';
import { toTokenizerJson } from '../../../src/data/tokenizer-json.js';
import { DATA_KEY, exportOnnx } from '../../../src/model/onnx/export.js';
import { biasOnlyParams, config, tokenizer } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'graftlr-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(cmd: Command, argv: string[]): Promise<{ rc: number; out: string[]; err: string[] }> {
  const out: string[] = [],
    err: string[] = [];
  const rc = await cmd.run(parseArgs(argv, cmd.flags), { out: (s) => out.push(s), err: (s) => err.push(s), env: {} });
  return { rc, out, err };
}

describe('graftlr fill-mask', () => {
  const model = join(root, 'bias.onnx');
  const tok = join(root, 'tokenizer.json');
  writeFileSync(model, exportOnnx(config, biasOnlyParams({ cat: 2, mat: 1 })));
  writeFileSync(tok, toTokenizerJson(tokenizer));

  it('prints the top predictions as JSON and names the engine on stderr', async () => {
    const r = await run(fillMaskCommand, [
      '--model',
      model,
      '--tokenizer',
      tok,
      '--top-k',
      '2',
      '--threads',
      '1',
      '--json',
      'the cat sat on the [MASK].',
    ]);
    expect(r.rc).toBe(0);
    expect(r.err[0]).toMatch(/^engine: onnxruntime-node \S+ \(cpu, 1 threads\)/);
    const json = JSON.parse(r.out[0]);
    // p(cat) = e^2 / (e^2 + e + 10) = 0.367484 (see fill-mask.test.ts)
    expect(json.masks[0].predictions.map((p: { token: string }) => p.token)).toEqual(['cat', 'mat']);
    expect(json.masks[0].predictions[0].score).toBeCloseTo(0.367484, 5);
  });

  it('warns when the text is longer than the sequences the model was trained on (recorded in the file)', async () => {
    const short = join(root, 'short.onnx');
    writeFileSync(short, exportOnnx(config, biasOnlyParams({ cat: 2 }), { metadata: { [DATA_KEY]: JSON.stringify({ seqLen: 6 }) } }));
    const fits = await run(fillMaskCommand, ['--model', short, '--tokenizer', tok, '--threads', '1', 'the cat [MASK].']); // 6 tokens
    expect(fits.err.filter((l) => l.startsWith('warning'))).toEqual([]);
    const long = await run(fillMaskCommand, ['--model', short, '--tokenizer', tok, '--threads', '1', 'the cat sat on the [MASK].']); // 9 tokens
    expect(long.rc).toBe(0);
    expect(long.err.filter((l) => l.startsWith('warning'))).toEqual([
      'warning: the text is 9 tokens with [CLS] and [SEP], longer than the 6-token sequences the model was trained on: positions from 6 on were never trained, so expect poor predictions',
    ]);
    expect(long.out[0]).toBe('[MASK] at position 6:'); // still answers
  });

  it('fails with one-line errors for a non-ONNX model, a missing file, text without [MASK]', async () => {
    const notOnnx = join(root, 'notes.onnx');
    writeFileSync(notOnnx, 'just some text, not a model\n');
    await expect(run(fillMaskCommand, ['--model', notOnnx, '--tokenizer', tok, 'a [MASK]'])).rejects.toThrow(
      /notes\.onnx is not (a readable )?(an )?ONNX model/,
    );
    await expect(run(fillMaskCommand, ['--model', join(root, 'nope.onnx'), '--tokenizer', tok, 'a [MASK]'])).rejects.toThrow(
      /model not found: .*nope\.onnx/,
    );
    await expect(run(fillMaskCommand, ['--model', model, '--tokenizer', tok, 'no mask here'])).rejects.toThrow(/has no \[MASK\] token/);
    await expect(run(fillMaskCommand, ['--model', model, '--tokenizer', tok])).rejects.toThrow(/exactly one text argument/);
  });
});

describe('graftlr eval', () => {
  it('rebuilds the recorded corpus and batches and reports loss ln V for a model with all-zero logits', async () => {
    const corpus = join(root, 'corpus.txt');
    const sentence = 'the cat sat on the mat. the dog sat on the log. a bird sang in the tree. ';
    writeFileSync(corpus, sentence.repeat(60));
    const model = join(root, 'zero.onnx');
    const data = JSON.stringify({ corpus: [corpus], seqLen: 16, batchSize: 3, evalSequences: 5, dataFingerprint: 'not-this-data' });
    writeFileSync(model, exportOnnx(config, biasOnlyParams({}), { metadata: { [DATA_KEY]: data } }));
    const r = await run(evalCommand, ['--model', model, '--threads', '1', '--json', '--trust-model-corpus']);
    expect(r.rc).toBe(0);
    const json = JSON.parse(r.out[0]);
    // logits are 0 for all V = 12 pieces: every position's loss is ln 12 = 2.484906650; argmax is [PAD] (id 0),
    // never a label, so accuracy is 0
    expect(json).toMatchObject({ split: 'heldout', seqLen: 16, corpus: [corpus], accuracy: 0, modelDataFingerprint: 'not-this-data' });
    // the recorded batch size 3 and cap of 5 sequences give the training run's batches: 3 + 2 sequences
    expect([json.sequences, json.batches]).toEqual([5, 2]);
    expect(json.loss).toBeCloseTo(Math.log(12), 5);
    expect(json.tokens).toBeGreaterThan(0);
    expect(r.err.some((line) => /warning: the data rebuilt here differs/.test(line))).toBe(true);
  });
});

describe("graftlr eval: the model file's data record (issue 23, item 9)", () => {
  const withData = (name: string, data: string) => {
    const file = join(root, name);
    writeFileSync(file, exportOnnx(config, biasOnlyParams({}), { metadata: { [DATA_KEY]: data } }));
    return file;
  };

  it('refuses a record of null, non-JSON or a negative sequence count in one line naming the file', async () => {
    for (const [name, data, what] of [
      ['null.onnx', 'null', 'is null, not an object'],
      ['text.onnx', 'corpus=sotu', 'is not JSON'],
      ['negative.onnx', '{"evalSequences":-3}', 'has evalSequences = -3: expected an integer >= 0 (0 = all)'],
    ]) {
      const file = withData(name, data);
      await expect(run(evalCommand, ['--model', file, '--threads', '1'])).rejects.toThrow(
        `${file}: the model's graftlr.data metadata ${what}:`,
      );
    }
  });

  it('does not read a folder the model names (nor write cache files for it) unless the user confirms it', async () => {
    const system = mkdtempSync(join(tmpdir(), 'graftlr-system-')); // stands in for a system folder
    writeFileSync(join(system, 'secrets.txt'), 'the cat sat on the mat. '.repeat(60));
    const cache = join(root, 'cache-untrusted');
    const file = withData('points-elsewhere.onnx', JSON.stringify({ corpus: [system], seqLen: 16, batchSize: 3, evalSequences: 5 }));
    await expect(run(evalCommand, ['--model', file, '--threads', '1', '--cache', cache])).rejects.toThrow(
      `${file} says it was trained on the files ${system}; eval reads corpus paths from a model only when you confirm them`,
    );
    expect(existsSync(cache)).toBe(false);
    const confirmed = await run(evalCommand, ['--model', file, '--threads', '1', '--json', '--corpus', system]);
    const json = JSON.parse(confirmed.out[0]);
    expect(json.corpus).toEqual([system]);
    expect(json.loss).toBeCloseTo(Math.log(12), 5); // all-zero logits over V = 12 pieces, as above
    rmSync(system, { recursive: true, force: true });
  });

  it('documents the confirmation in --help', () => {
    expect(evalCommand.flags['trust-model-corpus'].help).toBe('read the corpus file paths recorded in the model file');
    expect(evalCommand.details).toContain('is read only when you confirm it, with --corpus <paths> or --trust-model-corpus');
  });
});
