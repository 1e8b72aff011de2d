/**
 * The model's parameter names and shapes (the ParamMap contract, from src/model/init.ts), checked
 * host arrays, and two ways to bring the parameters into an ONNX graph: as initializers (exported
 * weights) or as graph inputs (a training graph fed every step).
 */
import { MODEL_SIDES } from '../batch-check.js';
import type { BertConfig } from '../config.js';
import { paramShapes } from '../init.js';
import { checkNamesAndShapes, shapesOf } from '../../core/param-shapes.js';
import type { HostParams } from '../../core/params.js';
import type { GraphBuilder } from '../../formats/onnx-builder.js';
import type { ParamRef } from './bert-graph.js';

/** name -> shape for every parameter (sorted names): the model's own table, one source of truth. */
export { paramShapes };

/** Throws a one-line error unless `params` has exactly the model's names and shapes for config `c` (param-shapes.ts). */
export function checkHostParams(c: BertConfig, params: HostParams): void {
  checkNamesAndShapes(shapesOf(params), paramShapes(c), MODEL_SIDES);
  for (const [name, p] of Object.entries(params)) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (p.data.length !== size) throw new Error(`parameter "${name}" has ${p.data.length} values but shape [${p.shape}] holds ${size}`);
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
