/**
 * The model's parameter names and shapes (the ParamMap contract), and two ways to bring them into an
 * ONNX graph: as initializers (exported weights) or as graph inputs (a training graph fed every step).
 */
import type { BertConfig } from '../model/config.js';
import type { HostParams } from '../params.js';
import type { GraphBuilder } from './builder.js';
import type { ParamRef } from './bert-graph.js';

/** name -> shape for every parameter of the model, names sorted (the canonical order). */
export function paramShapes(c: BertConfig): Record<string, number[]> {
  const H = c.hiddenSize, I = c.intermediateSize;
  const s: Record<string, number[]> = {
    'embeddings.word_embeddings': [c.vocabSize, H],
    'embeddings.position_embeddings': [c.maxPositions, H],
    'embeddings.token_type_embeddings': [c.typeVocabSize, H],
    'embeddings.LayerNorm.gamma': [H],
    'embeddings.LayerNorm.beta': [H],
    'cls.predictions.transform.dense.kernel': [H, H],
    'cls.predictions.transform.dense.bias': [H],
    'cls.predictions.transform.LayerNorm.gamma': [H],
    'cls.predictions.transform.LayerNorm.beta': [H],
    'cls.predictions.bias': [c.vocabSize],
  };
  for (let i = 0; i < c.numLayers; i++) {
    const pre = `encoder.layer.${i}`;
    for (const name of ['query', 'key', 'value']) {
      s[`${pre}.attention.self.${name}.kernel`] = [H, H];
      s[`${pre}.attention.self.${name}.bias`] = [H];
    }
    s[`${pre}.attention.output.dense.kernel`] = [H, H];
    s[`${pre}.attention.output.dense.bias`] = [H];
    s[`${pre}.attention.output.LayerNorm.gamma`] = [H];
    s[`${pre}.attention.output.LayerNorm.beta`] = [H];
    s[`${pre}.intermediate.dense.kernel`] = [H, I];
    s[`${pre}.intermediate.dense.bias`] = [I];
    s[`${pre}.output.dense.kernel`] = [I, H];
    s[`${pre}.output.dense.bias`] = [H];
    s[`${pre}.output.LayerNorm.gamma`] = [H];
    s[`${pre}.output.LayerNorm.beta`] = [H];
  }
  const sorted: Record<string, number[]> = {};
  for (const name of Object.keys(s).sort()) sorted[name] = s[name];
  return sorted;
}

/** Throws a one-line error unless `params` has exactly the model's names and shapes for config `c`. */
export function checkHostParams(c: BertConfig, params: HostParams): void {
  const shapes = paramShapes(c);
  for (const name of Object.keys(shapes)) {
    const p = params[name];
    if (!p) throw new Error(`parameter "${name}" is missing: the weights do not match the model config`);
    const want = shapes[name];
    if (p.shape.length !== want.length || p.shape.some((d, i) => d !== want[i])) {
      throw new Error(`parameter "${name}" has shape [${p.shape}] but the config needs [${want}]`);
    }
    if (p.data.length !== want.reduce((a, b) => a * b, 1)) {
      throw new Error(`parameter "${name}" has ${p.data.length} values but shape [${want}]`);
    }
  }
  for (const name of Object.keys(params)) {
    if (!(name in shapes)) throw new Error(`parameter "${name}" is not part of the model: check the config`);
  }
}

/** Adds every parameter as a float32 initializer named like the parameter (sorted order). */
export function addParamInitializers(g: GraphBuilder, c: BertConfig, params: HostParams): ParamRef {
  checkHostParams(c, params);
  for (const [name, shape] of Object.entries(paramShapes(c))) g.initializer(name, 'float32', shape, params[name].data);
  return byName(c);
}

/** Declares every parameter as a float32 graph input named like the parameter (sorted order). */
export function addParamInputs(g: GraphBuilder, c: BertConfig): ParamRef {
  for (const [name, shape] of Object.entries(paramShapes(c))) g.input(name, 'float32', shape);
  return byName(c);
}

function byName(c: BertConfig): ParamRef {
  const shapes = paramShapes(c);
  return (name) => {
    if (!(name in shapes)) throw new Error(`unknown parameter "${name}"`);
    return name;
  };
}
