/**
 * The training graphs carry no unused constant: onnxruntime prints a warning line on stderr for each one
 * ("Removing initializer ... It is not used by any node"), which breaks the one-line output of commands.
 */
import { describe, expect, it } from 'vitest';
import { buildEvalGraph, buildGradGraph, buildSgdGraph } from '../../src/engine/ort/graphs.js';
import { buildStepGraph, type UpdateRule } from '../../src/engine/ort/step-graph.js';
import { validateConfig } from '../../src/model/config.js';
import { paramShapes } from '../../src/model/onnx/bert-params.js';
import { onnx } from '../../src/formats/onnx-builder.js';

const config = validateConfig({
  vocabSize: 64,
  hiddenSize: 16,
  numLayers: 1,
  numHeads: 2,
  intermediateSize: 32,
  maxPositions: 16,
  typeVocabSize: 2,
  dropout: 0,
  layerNormEps: 1e-12,
  initStd: 0.02,
});
const count = Object.keys(paramShapes(config)).length;
const adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const rules = (r: UpdateRule): UpdateRule[] => Array(count).fill(r);

function unusedConstants(bytes: Uint8Array): string[] {
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const read = new Set(graph.node!.flatMap((n) => n.input ?? []));
  const outputs = new Set(graph.output!.map((o) => o.name));
  return graph
    .node!.filter((n) => n.opType === 'Constant' && !read.has(n.output![0]) && !outputs.has(n.output![0]))
    .map((n) => n.output![0]);
}

describe('training graphs', () => {
  const graphs: Record<string, () => Uint8Array> = {
    evaluation: () => buildEvalGraph(config),
    gradients: () => buildGradGraph(config),
    sgd: () => buildSgdGraph(config),
    'sgd, clipped, in place': () => buildSgdGraph(config, { clip: true, weightDecay: true, inPlace: true }),
    'sgd, step-norm groups': () => buildSgdGraph(config, { groups: Array.from({ length: count }, (_, i) => i) }),
    'adam, in place': () => buildStepGraph(config, { rules: rules('adam'), adam, inPlace: true }),
    graft: () => buildStepGraph(config, { rules: rules('graft'), adam }),
  };
  for (const [name, build] of Object.entries(graphs)) {
    it(`${name}: every constant is used`, () => expect(unusedConstants(build())).toEqual([]));
  }
});
