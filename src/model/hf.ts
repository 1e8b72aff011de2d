/**
 * Hugging Face BERT folders: what `transformers.BertForMaskedLM.from_pretrained(folder)` loads.
 *
 *   folder/config.json          transformers BertConfig fields
 *   folder/model.safetensors    weights under Hugging Face names, float32
 *   folder/tokenizer.json       copied in when given
 *
 * Name mapping (ours -> Hugging Face):
 *   embeddings.*                             -> bert.embeddings.*.weight (LayerNorm gamma/beta -> weight/bias)
 *   encoder.layer.N.<path>.kernel [in, out]  -> bert.encoder.layer.N.<path>.weight [out, in]  (TRANSPOSED: torch Linear)
 *   encoder.layer.N.<path>.bias              -> bert.encoder.layer.N.<path>.bias
 *   cls.predictions.transform.*              -> cls.predictions.transform.* (kernel transposed, LayerNorm renamed)
 *   cls.predictions.bias                     -> cls.predictions.bias
 * The decoder is tied: `cls.predictions.decoder.weight` IS the word embedding matrix and `decoder.bias` IS
 * `cls.predictions.bias`. Like transformers' own save_pretrained, we do not store the tied copies; from_pretrained
 * ties them again after loading (tie_word_embeddings defaults to true). The importer accepts a stored decoder
 * weight only when it equals the word embeddings (our model cannot represent an untied decoder).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig, type BertConfig } from './config.js';
import type { HostParams } from '../core/params.js';
import { checkHostParams, paramShapes } from './onnx/bert-params.js';
import { writeFilesTogether } from '../formats/file-set.js';
import { readSafetensors, toFloat32, writeSafetensors, type SafeTensor } from '../formats/safetensors.js';

/** Our parameter name -> Hugging Face state-dict key, and whether the matrix is transposed. */
export function hfName(name: string): { key: string; transpose: boolean } {
  const renamed = name.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  if (name.startsWith('embeddings.')) {
    return { key: `bert.${renamed.endsWith('_embeddings') ? `${renamed}.weight` : renamed}`, transpose: false };
  }
  if (name.endsWith('.kernel')) {
    const key = renamed.replace(/\.kernel$/, '.weight');
    return { key: name.startsWith('encoder.') ? `bert.${key}` : key, transpose: true };
  }
  return { key: name.startsWith('encoder.') ? `bert.${renamed}` : renamed, transpose: false };
}

/** (rows, cols) row-major -> (cols, rows) row-major. */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** The transformers BertConfig for our config (dropout goes to both dropout fields). */
export function hfConfigJson(c: BertConfig): Record<string, unknown> {
  return {
    architectures: ['BertForMaskedLM'],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: 'gelu',
    max_position_embeddings: c.maxPositions,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_dropout_prob: c.dropout,
    attention_probs_dropout_prob: c.dropout,
    initializer_range: c.initStd,
    position_embedding_type: 'absolute',
    pad_token_id: 0,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
}

/** Our config from a transformers BertConfig JSON; throws for settings this model does not have. */
export function configFromHf(json: Record<string, unknown>, what = 'config.json'): BertConfig {
  const need = (key: string): number => {
    const v = json[key];
    if (typeof v !== 'number') throw new Error(`${what} lacks the number "${key}": is it a BERT config?`);
    return v;
  };
  if (json.model_type !== undefined && json.model_type !== 'bert')
    throw new Error(`${what} has model_type "${json.model_type}": expected "bert"`);
  if ((json.hidden_act ?? 'gelu') !== 'gelu')
    throw new Error(`${what} has hidden_act "${json.hidden_act}": only exact "gelu" is supported`);
  const pet = json.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute') throw new Error(`${what} has position_embedding_type "${pet}": only "absolute" is supported`);
  return validateConfig({
    vocabSize: need('vocab_size'),
    hiddenSize: need('hidden_size'),
    numLayers: need('num_hidden_layers'),
    numHeads: need('num_attention_heads'),
    intermediateSize: need('intermediate_size'),
    maxPositions: need('max_position_embeddings'),
    typeVocabSize: need('type_vocab_size'),
    layerNormEps: need('layer_norm_eps'),
    dropout: typeof json.hidden_dropout_prob === 'number' ? json.hidden_dropout_prob : 0,
    initStd: typeof json.initializer_range === 'number' ? json.initializer_range : 0.02,
  });
}

/** The Hugging Face state dict (float32, kernels transposed, tied decoder left out). */
export function toHfStateDict(c: BertConfig, params: HostParams): Record<string, SafeTensor> {
  checkHostParams(c, params);
  const out: Record<string, SafeTensor> = {};
  for (const [name, shape] of Object.entries(paramShapes(c))) {
    const { key, transpose } = hfName(name);
    const data = params[name].data;
    out[key] = transpose
      ? { dtype: 'F32', shape: [shape[1], shape[0]], data: transpose2d(data, shape[0], shape[1]) }
      : { dtype: 'F32', shape, data: Float32Array.from(data) };
  }
  return out;
}

const IGNORED = [/^bert\.pooler\./, /^cls\.seq_relationship\./, /position_ids$/, /^cls\.predictions\.decoder\.bias$/];

/** Our parameters from a Hugging Face state dict (the inverse of toHfStateDict). */
export function fromHfStateDict(c: BertConfig, tensors: Record<string, SafeTensor>, what = 'model.safetensors'): HostParams {
  const params: HostParams = {};
  const used = new Set<string>();
  for (const [name, shape] of Object.entries(paramShapes(c))) {
    const { key, transpose } = hfName(name);
    const t = tensors[key];
    if (!t) throw new Error(`${what} lacks "${key}" (our ${name}): is it a BertForMaskedLM checkpoint for this config?`);
    const want = transpose ? [shape[1], shape[0]] : shape;
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new Error(`${what}: "${key}" has shape [${t.shape}] but config.json implies [${want}]`);
    }
    const data = toFloat32(t, key);
    params[name] = { shape, data: transpose ? transpose2d(data, shape[1], shape[0]) : data };
    used.add(key);
  }
  const decoder = tensors['cls.predictions.decoder.weight'];
  if (decoder) {
    const word = params['embeddings.word_embeddings'].data,
      d = toFloat32(decoder, 'decoder');
    if (d.length !== word.length || d.some((v, i) => v !== word[i])) {
      throw new Error(`${what}: cls.predictions.decoder.weight differs from the word embeddings; only tied decoders are supported`);
    }
    used.add('cls.predictions.decoder.weight');
  }
  for (const key of Object.keys(tensors)) {
    if (!used.has(key) && !IGNORED.some((re) => re.test(key))) throw new Error(`${what} has an unexpected tensor "${key}"`);
  }
  return params;
}

/** File name -> contents of a Hugging Face folder for this model (no I/O). */
export function hfFolderFiles(c: BertConfig, params: HostParams, tokenizerJson?: string | Uint8Array): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify(hfConfigJson(c), null, 2) + '\n',
    'model.safetensors': writeSafetensors(toHfStateDict(c, params), { format: 'pt' }),
  };
  if (tokenizerJson !== undefined) files['tokenizer.json'] = tokenizerJson;
  return files;
}

/** Writes the folder, its files together (src/formats/file-set.ts: all new or all old after a kill). Returns the paths written. */
export function writeHfFolder(dir: string, c: BertConfig, params: HostParams, tokenizerJson?: string | Uint8Array): string[] {
  const files: Record<string, string | Uint8Array> = {};
  for (const [name, data] of Object.entries(hfFolderFiles(c, params, tokenizerJson))) files[join(dir, name)] = data;
  writeFilesTogether(files);
  return Object.keys(files);
}

/** Reads config.json + model.safetensors from a folder. */
export function readHfFolder(dir: string): { config: BertConfig; params: HostParams } {
  for (const f of ['config.json', 'model.safetensors']) {
    if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} does not exist: expected a Hugging Face BERT folder`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } catch {
    throw new Error(`${join(dir, 'config.json')} is not valid JSON`);
  }
  const config = configFromHf(json, join(dir, 'config.json'));
  const weightsPath = join(dir, 'model.safetensors');
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(weightsPath)), weightsPath);
  return { config, params: fromHfStateDict(config, tensors, weightsPath) };
}
