import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig, type BertConfig } from '../../src/model/config.js';
import type { HostParams } from '../../src/core/params.js';
import { paramShapes } from '../../src/model/onnx/bert-params.js';
import { configFromHf, fromHfStateDict, hfConfigJson, readHfFolder, toHfStateDict, writeHfFolder } from '../../src/model/hf.js';

const config: BertConfig = validateConfig({
  vocabSize: 8,
  hiddenSize: 4,
  numLayers: 1,
  numHeads: 2,
  intermediateSize: 6,
  maxPositions: 5,
  typeVocabSize: 2,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.02,
});

/** Every parameter filled with distinct values: entry j of the k-th tensor = 100 k + j. */
function countingParams(): HostParams {
  const out: HostParams = {};
  Object.entries(paramShapes(config)).forEach(([name, shape], k) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, j) => 100 * k + j);
    out[name] = { shape, data };
  });
  return out;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('Hugging Face state dict', () => {
  const params = countingParams();
  const sd = toHfStateDict(config, params);

  it('uses BertForMaskedLM key names and leaves out the tied decoder', () => {
    const L = 'bert.encoder.layer.0.';
    const expected = [
      'bert.embeddings.word_embeddings.weight',
      'bert.embeddings.position_embeddings.weight',
      'bert.embeddings.token_type_embeddings.weight',
      'bert.embeddings.LayerNorm.weight',
      'bert.embeddings.LayerNorm.bias',
      ...['query', 'key', 'value'].flatMap((n) => [`${L}attention.self.${n}.weight`, `${L}attention.self.${n}.bias`]),
      `${L}attention.output.dense.weight`,
      `${L}attention.output.dense.bias`,
      `${L}attention.output.LayerNorm.weight`,
      `${L}attention.output.LayerNorm.bias`,
      `${L}intermediate.dense.weight`,
      `${L}intermediate.dense.bias`,
      `${L}output.dense.weight`,
      `${L}output.dense.bias`,
      `${L}output.LayerNorm.weight`,
      `${L}output.LayerNorm.bias`,
      'cls.predictions.transform.dense.weight',
      'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.LayerNorm.weight',
      'cls.predictions.transform.LayerNorm.bias',
      'cls.predictions.bias',
    ];
    expect(Object.keys(sd).sort()).toEqual(expected.sort());
  });

  it('transposes kernels to torch Linear layout [out, in]', () => {
    // intermediate kernel is (in 4, out 6): kernel[i][o] = base + 6 i + o; torch weight[o][i] sits at o * 4 + i
    const kernel = params['encoder.layer.0.intermediate.dense.kernel'].data;
    const w = sd['bert.encoder.layer.0.intermediate.dense.weight'];
    expect(w.shape).toEqual([6, 4]);
    const base = kernel[0];
    expect(
      Array.from(w.data as Float32Array)
        .slice(0, 8)
        .map((v) => v - base),
    ).toEqual([0, 6, 12, 18, 1, 7, 13, 19]);
    // embeddings keep their (rows, H) layout
    expect(sd['bert.embeddings.word_embeddings.weight'].shape).toEqual([8, 4]);
    expect(Array.from(sd['bert.embeddings.word_embeddings.weight'].data as Float32Array)).toEqual(
      Array.from(params['embeddings.word_embeddings'].data),
    );
  });

  it('maps back exactly, accepts a tied decoder copy, rejects an untied one or a stray tensor', () => {
    const back = fromHfStateDict(config, sd);
    for (const name of Object.keys(params)) expect(Array.from(back[name].data)).toEqual(Array.from(params[name].data));
    const word = sd['bert.embeddings.word_embeddings.weight'];
    expect(() => fromHfStateDict(config, { ...sd, 'cls.predictions.decoder.weight': word, 'bert.pooler.dense.bias': word })).not.toThrow();
    const untied = { ...word, data: (word.data as Float32Array).map((v) => v + 1) };
    expect(() => fromHfStateDict(config, { ...sd, 'cls.predictions.decoder.weight': untied })).toThrow(/differs from the word embeddings/);
    expect(() => fromHfStateDict(config, { ...sd, 'bert.extra': word })).toThrow(/unexpected tensor "bert\.extra"/);
    const { 'cls.predictions.bias': _dropped, ...missing } = sd;
    expect(() => fromHfStateDict(config, missing)).toThrow(/lacks "cls\.predictions\.bias"/);
  });
});

describe('Hugging Face config.json', () => {
  it('writes BertConfig fields and reads them back', () => {
    const json = hfConfigJson(config);
    expect(json).toMatchObject({
      architectures: ['BertForMaskedLM'],
      model_type: 'bert',
      vocab_size: 8,
      hidden_size: 4,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 6,
      hidden_act: 'gelu',
      max_position_embeddings: 5,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
    });
    expect(configFromHf(json)).toEqual(config);
    expect(() => configFromHf({ ...json, hidden_act: 'gelu_new' })).toThrow(/hidden_act "gelu_new": only exact "gelu"/);
    expect(() => configFromHf({ ...json, hidden_size: undefined })).toThrow(/lacks the number "hidden_size"/);
  });
});

describe('Hugging Face folder', () => {
  it('writes config.json, model.safetensors and tokenizer.json, and reads the model back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graftlr-hf-'));
    dirs.push(dir);
    const params = countingParams();
    writeHfFolder(dir, config, params, '{"model": {}}');
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(readFileSync(join(dir, 'tokenizer.json'), 'utf8')).toBe('{"model": {}}');
    // the weights file parsed by hand: header length, then the JSON header naming dtype, shape, offsets
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header['bert.encoder.layer.0.output.dense.weight'].shape).toEqual([4, 6]); // kernel (6, 4) transposed
    expect(header['cls.predictions.bias']).toMatchObject({ dtype: 'F32', shape: [8] });
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const back = readHfFolder(dir);
    expect(back.config).toEqual(config);
    for (const name of Object.keys(params))
      expect(Buffer.from(back.params[name].data.buffer).equals(Buffer.from(params[name].data.buffer))).toBe(true);
    expect(() => readHfFolder(join(dir, 'nope'))).toThrow(/config\.json does not exist/);
  });
});
