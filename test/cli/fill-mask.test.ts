/**
 * fill-mask with long text (issue 23, item 1). onnxruntime-node 1.30 dies with a segmentation fault
 * (exit 139, no message) when creating a session in a process whose command line is longer than about
 * 28,900 bytes: the issue's text, 1000 x "the state of the union is strong " + "[MASK]" (33,006 bytes),
 * did that. Such a text argument is now refused before onnxruntime runs; long text comes from a file or stdin.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandIo } from '../../src/cli/command.js';
import { fillMaskCommand, MAX_TEXT_ARGUMENT_BYTES } from '../../src/cli/fill-mask.js';
import { toTokenizerJson } from '../../src/data/tokenizer-json.js';
import { exportOnnx } from '../../src/model/onnx/export.js';
import { biasOnlyParams, config, tokenizer } from '../run/eval/fixtures.js';
import { runChild } from './child.js';

const root = mkdtempSync(join(tmpdir(), 'graftlr-fill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const model = join(root, 'bias.onnx');
const tok = join(root, 'tokenizer.json');
writeFileSync(model, exportOnnx(config, biasOnlyParams({ cat: 2, mat: 1 })));
writeFileSync(tok, toTokenizerJson(tokenizer));

const ISSUE_TEXT = 'the state of the union is strong '.repeat(1000) + '[MASK]'; // 33 x 1000 + 6 = 33,006 bytes

async function run(argv: string[], stdin?: string): Promise<{ rc: number; out: string[]; err: string[] }> {
  const out: string[] = [],
    err: string[] = [];
  const io: CommandIo = {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env: {},
    readStdin: stdin === undefined ? undefined : async () => stdin,
  };
  const rc = await fillMaskCommand.run(parseArgs(argv, fillMaskCommand.flags), io);
  return { rc, out, err };
}

describe('fill-mask: long text', () => {
  it("refuses the issue's 33,006-byte text argument in one line with the limit (exit 2), in a real process", () => {
    const r = runChild(['fill-mask', '--model', model, '--tokenizer', tok, ISSUE_TEXT]);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `graftlr fill-mask: the text argument is 33006 bytes, over the limit of ${MAX_TEXT_ARGUMENT_BYTES} for text on the command line ` +
        '(longer command lines crash onnxruntime-node): pass it with --text-file <path>, or --text-file - to read stdin\n',
    );
  });

  it('reads the same text from --text-file and answers with a reason instead of a crash (exit 1)', () => {
    const file = join(root, 'long.txt');
    writeFileSync(file, ISSUE_TEXT);
    const r = runChild(['fill-mask', '--model', model, '--tokenizer', tok, '--threads', '1', '--text-file', file]);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    // 7 words x 1000 + [MASK] + [CLS] + [SEP] = 7003 tokens; the fixture model has 16 positions
    expect(r.stderr.split('\n').filter((l) => l.startsWith('graftlr'))).toEqual([
      'graftlr fill-mask: the text encodes to 7003 tokens but the model takes at most 16: shorten it',
    ]);
  });

  it('reads text from stdin with a "-" argument in a real process', () => {
    const r = runChild(['fill-mask', '--model', model, '--tokenizer', tok, '--threads', '1', '--top-k', '1', '-'], {
      input: 'the cat sat on the [MASK].\n',
    });
    expect(r.status).toBe(0);
    // p(cat) = e^2 / (e^2 + e + 10) = 0.367484 (see test/run/eval/fill-mask.test.ts)
    expect(r.stdout).toBe('[MASK] at position 6:\n  0.3675  cat              the cat sat on the cat.\n');
  });

  it('accepts a text of exactly the limit and refuses one byte more (UTF-8 bytes, not characters)', async () => {
    const fits = 'the '.repeat((MAX_TEXT_ARGUMENT_BYTES - 6) / 4) + '[MASK]'; // 15,994 + 6 = 16,000 bytes
    await expect(run(['--model', model, '--tokenizer', tok, fits])).rejects.toThrow(/encodes to 4001 tokens/); // past the check
    const accented = 'é'.repeat(8000) + '[MASK]'; // 8006 characters, 2 x 8000 + 6 = 16,006 bytes
    await expect(run(['--model', model, '--tokenizer', tok, accented])).rejects.toThrow(
      /^the text argument is 16006 bytes, over the limit of 16000/,
    );
  });

  it('reads --text-file - from stdin, and refuses a text given twice or a missing text file', async () => {
    const r = await run(
      ['--model', model, '--tokenizer', tok, '--threads', '1', '--json', '--top-k', '1', '--text-file', '-'],
      'the [MASK].',
    );
    expect(JSON.parse(r.out[0]).masks[0].predictions[0].token).toBe('cat');
    await expect(run(['--model', model, '--tokenizer', tok, '--text-file', '-', 'the [MASK]'], 'x')).rejects.toThrow(
      'give the text either as an argument or with --text-file, not both',
    );
    await expect(run(['--model', model, '--tokenizer', tok, '--text-file', join(root, 'nope.txt')])).rejects.toThrow(
      /^text file not found: .*nope\.txt: check the path$/,
    );
  });

  it('prints tokens from the tokenizer file with their control characters escaped', async () => {
    const hostile = join(root, 'hostile-tokenizer.json');
    // the vocabulary's "cat" becomes "c\u001b[2Jat": the bias model still predicts its id first
    writeFileSync(hostile, toTokenizerJson(tokenizer).replace('"cat"', '"c\\u001b[2Jat"'));
    const r = await run(['--model', model, '--tokenizer', hostile, '--threads', '1', '--top-k', '1', 'the [MASK].']);
    expect(r.out[1]).toMatch(/^ {2}0\.\d{4} {2}c\\x1b\[2Jat +the c\\x1b\[2Jat\.$/);
    expect(r.out.join('')).not.toContain('\u001b');
  });
});
