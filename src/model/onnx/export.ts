/**
 * Export a trained model to a self-describing ONNX file, and read one back.
 *
 * The file: inputs input_ids, attention_mask, token_type_ids (int64, (batch, sequence), both dims dynamic),
 * output logits (float32, (batch, sequence, V)); every parameter is a float32 initializer named like the
 * parameter; the model's metadata_props carry `graftlr.format` = "bert-mlm/1" and `graftlr.config` = the
 * BertConfig as JSON, so importOnnx knows the architecture without guessing.
 */
import { validateConfig, type BertConfig } from '../config.js';
import type { HostParams } from '../../core/params.js';
import type onnxProto from 'onnx-proto';
import { GraphBuilder, dtypeOf, onnx } from '../../formats/onnx-builder.js';
import { emitEncoder, emitMlmHead } from './bert-graph.js';
import { addParamInitializers, paramShapes } from './bert-params.js';

export const ONNX_FORMAT = 'bert-mlm/1';
export const FORMAT_KEY = 'graftlr.format';
export const CONFIG_KEY = 'graftlr.config';
/** The graph inputs of an exported model, in order. */
export const ONNX_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export const ONNX_OUTPUT = 'logits';

export const DATA_KEY = 'graftlr.data';

export interface ExportOptions {
  /** Default-domain opset (>= 17; default 17). */
  opset?: number;
  /** Extra metadata_props entries (e.g. DATA_KEY -> JSON describing the training data). */
  metadata?: Record<string, string>;
}

/** The inference graph (full-sequence MLM logits) with the weights as initializers. */
export function buildInferenceGraph(config: BertConfig, params: HostParams, options: ExportOptions = {}): GraphBuilder {
  validateConfig(config);
  const g = new GraphBuilder('graftlr_bert_mlm', { opset: options.opset });
  const [inputIds, attentionMask, tokenTypeIds] = ONNX_INPUTS.map((n) => g.input(n, 'int64', ['batch', 'sequence']));
  const p = addParamInitializers(g, config, params);
  const encoder = emitEncoder(g, config, p, { inputIds, attentionMask, tokenTypeIds });
  const head = emitMlmHead(g, config, p, encoder.x); // logits (B, T, V)
  const logits = g.op('Identity', [head.logits], {}, ONNX_OUTPUT);
  g.output(logits, 'float32', ['batch', 'sequence', config.vocabSize]);
  g.setMetadata(FORMAT_KEY, ONNX_FORMAT);
  g.setMetadata(CONFIG_KEY, JSON.stringify(config));
  for (const [key, value] of Object.entries(options.metadata ?? {})) g.setMetadata(key, value);
  return g;
}

/** Serialised ONNX model for `config` and `params` (names and shapes must match the config). */
export function exportOnnx(config: BertConfig, params: HostParams, options: ExportOptions = {}): Uint8Array {
  return buildInferenceGraph(config, params, options).toBytes();
}

/** Throws a one-line error unless a model's inputs are exactly those of a graftlr export. */
export function assertBertInputs(inputNames: readonly string[], what: string): void {
  const want = [...ONNX_INPUTS].sort().join(', ');
  const got = [...inputNames].sort().join(', ');
  if (got !== want) {
    throw new Error(`${what} has inputs [${got}] but a graftlr MLM model needs [${want}]: export it with graftlr export`);
  }
}

/** Decodes ONNX bytes; throws a one-line error for a file that is not a (complete) ONNX model. */
export function decodeModel(bytes: Uint8Array, what = 'the file'): onnxProto.onnx.ModelProto {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new Error(`${what} is not a readable ONNX model (${reason}): is it truncated or another kind of file?`);
  }
  if (!model.graph || model.opsetImport.length === 0) {
    throw new Error(`${what} is not an ONNX model (no graph or opset import): is it truncated or another kind of file?`);
  }
  return model;
}

/** What an exported model says about itself: its config and all metadata_props entries. */
export interface OnnxModelInfo {
  config: BertConfig;
  metadata: Record<string, string>;
}

/**
 * Checks that a decoded model is a graftlr export (its inputs and metadata) and returns its config.
 * Throws one-line errors naming `what`.
 */
export function modelInfo(model: onnxProto.onnx.ModelProto, what: string): OnnxModelInfo {
  const initNames = new Set((model.graph!.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (model.graph!.input ?? []).map((v) => v.name ?? '').filter((n) => !initNames.has(n));
  assertBertInputs(inputs, what);
  const metadata: Record<string, string> = {};
  for (const m of model.metadataProps) metadata[m.key ?? ''] = m.value ?? '';
  if (metadata[FORMAT_KEY] !== ONNX_FORMAT || metadata[CONFIG_KEY] === undefined) {
    throw new Error(`${what} has no graftlr metadata (${FORMAT_KEY} = ${ONNX_FORMAT}): only models made by graftlr export can be read`);
  }
  try {
    return { config: validateConfig(JSON.parse(metadata[CONFIG_KEY]) as BertConfig), metadata };
  } catch (e) {
    throw new Error(`${what} has a bad ${CONFIG_KEY} entry: ${(e as Error).message}`);
  }
}

/** Reads the config, the metadata and the weights back from an exported model (the inverse of exportOnnx). */
export function importOnnx(bytes: Uint8Array, what = 'the ONNX model'): OnnxModelInfo & { params: HostParams } {
  const model = decodeModel(bytes, what);
  const { config, metadata } = modelInfo(model, what);
  const byName = new Map((model.graph!.initializer ?? []).map((t) => [t.name ?? '', t]));
  const params: HostParams = {};
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    const t = byName.get(name);
    if (!t) throw new Error(`${what} lacks the weight "${name}": is the file truncated?`);
    params[name] = { shape, data: readFloatTensor(t, shape, what) };
  }
  return { config, metadata, params };
}

function readFloatTensor(t: onnxProto.onnx.ITensorProto, shape: number[], what: string): Float32Array {
  if (dtypeOf(t.dataType ?? 0) !== 'float32') throw new Error(`${what}: weight "${t.name}" is not float32`);
  const dims = (t.dims ?? []).map(Number);
  if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i])) {
    throw new Error(`${what}: weight "${t.name}" has shape [${dims}] but its config needs [${shape}]`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length % 4 !== 0)
      throw new Error(`${what}: weight "${t.name}" has ${t.rawData.length} bytes, not whole floats: truncated?`);
    // copy into a fresh buffer: the raw bytes inside the decoded file need not be 4-byte aligned
    data = new Float32Array(Uint8Array.from(t.rawData).buffer);
  } else {
    data = Float32Array.from(t.floatData ?? []);
  }
  if (data.length !== count) throw new Error(`${what}: weight "${t.name}" holds ${data.length} values, expected ${count}: truncated?`);
  return data;
}
