import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTokenizer } from '../../../src/data/tokenizer.js';
import { exportOnnx } from '../../../src/model/onnx/export.js';
import { fillMask } from '../../../src/run/eval/fill-mask.js';
import { loadOrtMlm, type OrtMlm } from '../../../src/run/eval/model.js';
import { GraphBuilder } from '../../../src/formats/onnx-builder.js';
import { biasOnlyParams, config, tokenizer, VOCAB } from './fixtures.js';

let model: OrtMlm;
beforeAll(async () => {
  model = await loadOrtMlm(exportOnnx(config, biasOnlyParams({ cat: 2, mat: 1 })), 'bias.onnx', { threads: 1 });
});
afterAll(async () => model.release());

describe('fillMask', () => {
  it('returns the top-k tokens with softmax probabilities and the filled-in text', async () => {
    const results = await fillMask(model, tokenizer, 'The cat sat on the [MASK].', 3);
    // ids: [CLS] the cat sat on the [MASK] . [SEP] -> the mask is at position 6
    expect(results.map((r) => r.position)).toEqual([6]);
    // logits = bias: cat 2, mat 1, the other 10 pieces 0.  Z = e^2 + e + 10 = 20.107337927
    // p(cat) = 7.389056099 / Z = 0.367484, p(mat) = 2.718281828 / Z = 0.135190, others 1 / Z = 0.049733
    const [first, second, third] = results[0].predictions;
    expect([first.token, second.token, third.token]).toEqual(['cat', 'mat', '[PAD]']); // ties: lowest id first
    expect(first.score).toBeCloseTo(0.367484, 5);
    expect(second.score).toBeCloseTo(0.13519, 5);
    expect(third.score).toBeCloseTo(0.049733, 5);
    expect(first.sequence).toBe('the cat sat on the cat.');
    expect(second.id).toBe(VOCAB.indexOf('mat'));
  });

  it('predicts every [MASK] separately, keeping the others in each sequence', async () => {
    const results = await fillMask(model, tokenizer, '[MASK] sat on the [MASK]', 1);
    expect(results.map((r) => r.position)).toEqual([1, 5]);
    expect(results.map((r) => r.predictions[0].sequence)).toEqual(['cat sat on the [MASK]', '[MASK] sat on the cat']);
  });

  it('rejects text without [MASK], a tokenizer of another vocabulary size, a bad top-k', async () => {
    await expect(fillMask(model, tokenizer, 'the cat sat', 5)).rejects.toThrow(/the text has no \[MASK\] token/);
    const bigger = makeTokenizer([...VOCAB, 'dog']);
    await expect(fillMask(model, bigger, 'the [MASK]', 5)).rejects.toThrow(/tokenizer has 13 pieces but the model's vocabulary is 12/);
    await expect(fillMask(model, tokenizer, 'the [MASK]', 0)).rejects.toThrow(/top-k = 0 is invalid/);
    const long = Array(20).fill('cat').join(' ') + ' [MASK]';
    await expect(fillMask(model, tokenizer, long, 5)).rejects.toThrow(/encodes to 23 tokens but the model takes at most 16/);
  });
});

describe('loadOrtMlm', () => {
  it('rejects an ONNX model that is not a graftlr MLM export', async () => {
    const g = new GraphBuilder('other');
    g.output(g.op('Relu', [g.input('x', 'float32', [2])]), 'float32', [2]);
    await expect(loadOrtMlm(g.toBytes(), 'other.onnx')).rejects.toThrow(/^other\.onnx has inputs \[x\]/);
    await expect(loadOrtMlm(new TextEncoder().encode('hello'), 'h.onnx')).rejects.toThrow(/^h\.onnx is not/);
  });
});
