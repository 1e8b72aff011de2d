/**
 * The model's parameter names and shapes (the ParamMap contract, from src/model/init.ts), checked
 * host arrays, and two ways to bring the parameters into an ONNX graph: as initializers (exported
 * weights) or as graph inputs (a training graph fed every step).
 */
import type { BertConfig } from '../model/config.js';
import { paramShapes } from '../model/init.js';
import type { HostParams } from '../params.js';
import type { GraphBuilder } from './builder.js';
import type { ParamRef } from './bert-graph.js';

/** name -> shape for every parameter (sorted names): the model's own table, one source of truth. */
export { paramShapes };

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
