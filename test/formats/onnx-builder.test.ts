import { describe, expect, it } from 'vitest';
import type onnxProto from 'onnx-proto';
import { GraphBuilder, attr, onnx } from '../../src/formats/onnx-builder.js';
import { emitGelu, emitLayerNorm, emitMaskBias } from '../../src/model/onnx/bert-graph.js';
import { OrtSession, float32Feed, int64Feed } from '../../src/runtime/ort.js';

async function runOne(g: GraphBuilder, feeds: Parameters<OrtSession['run']>[0], output: string): Promise<number[]> {
  const session = await OrtSession.create(g.toBytes(), { threads: 1 });
  const r = await session.runFloat(feeds, output);
  await session.release();
  return Array.from(r.data);
}

describe('GraphBuilder', () => {
  it('builds a dense layer that onnxruntime runs with a dynamic batch dim', async () => {
    const g = new GraphBuilder('dense');
    const x = g.input('x', 'float32', ['batch', 2]);
    const w = g.initializer('w', 'float32', [2, 3], new Float32Array([1, 0, 2, 0, 1, 1]));
    const b = g.initializer('b', 'float32', [3], new Float32Array([0.5, -1, 0]));
    const y = g.op('Add', [g.op('MatMul', [x, w]), b], {}, 'y');
    g.output(y, 'float32', ['batch', 3]);
    // x = [[1, 2], [3, 4]]: x @ w = [[1, 2, 4], [3, 4, 10]]; + b = [[1.5, 1, 4], [3.5, 3, 10]]
    const out = await runOne(g, { x: float32Feed(new Float32Array([1, 2, 3, 4]), [2, 2]) }, y);
    expect(out).toEqual([1.5, 1, 4, 3.5, 3, 10]);
  });

  it('hands out unique names from a hint', () => {
    const g = new GraphBuilder('names');
    g.input('a', 'float32', [1]);
    expect([g.uniqueName('a'), g.uniqueName('a'), g.uniqueName('b')]).toEqual(['a_1', 'a_2', 'b']);
  });

  it('rejects a node reading an undefined value, a value defined twice, an unproduced output', () => {
    const g = new GraphBuilder('bad');
    const x = g.input('x', 'float32', [1]);
    g.op('Relu', [x, 'missing']);
    expect(() => g.toBytes()).toThrow(/reads "missing", which is not defined/);
    expect(() => g.input('x', 'float32', [1])).toThrow(/"x" is defined twice/);
    const h = new GraphBuilder('bad2');
    h.input('x', 'float32', [1]);
    h.output('nowhere', 'float32', [1]);
    expect(() => h.toBytes()).toThrow(/graph output "nowhere" is never produced/);
    expect(() => new GraphBuilder('old', { opset: 13 })).toThrow(/opset 13 is not supported/);
  });

  it('writes typed attributes, named dims, opset and metadata into the protobuf', () => {
    const g = new GraphBuilder('attrs', { opset: 18 });
    const x = g.input('x', 'float32', ['batch', 4]);
    const y = g.op('Transpose', [x], { perm: attr.ints([1, 0]) });
    const z = g.op('LeakyRelu', [y], { alpha: attr.float(1) });
    g.output(z, 'float32', [4, 'batch']);
    g.setMetadata('k', 'v');
    const m = onnx.ModelProto.decode(g.toBytes());
    const graph = m.graph as onnxProto.onnx.GraphProto;
    const T = onnx.AttributeProto.AttributeType;
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 18]]);
    expect(graph.node[0].attribute![0].type).toBe(T.INTS);
    expect(graph.node[1].attribute![0].type).toBe(T.FLOAT); // alpha = 1 stays a float attribute
    expect(graph.input[0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 4]);
    expect(m.metadataProps.map((e) => [e.key, e.value])).toEqual([['k', 'v']]);
  });
});

describe('BERT building blocks through onnxruntime', () => {
  it('gelu is exact erf GELU', async () => {
    const g = new GraphBuilder('gelu');
    const x = g.input('x', 'float32', [3]);
    const y = emitGelu(g, x, 'y');
    g.output(y, 'float32', [3]);
    // gelu(x) = x * Phi(x): Phi(0) = 0.5, Phi(1) = 0.8413447461, Phi(-1) = 0.1586552539
    const out = await runOne(g, { x: float32Feed(new Float32Array([0, 1, -1]), [3]) }, y);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(0.8413447461, 6);
    expect(out[2]).toBeCloseTo(-0.1586552539, 6);
  });

  it('layer norm uses the biased variance, gamma and beta', async () => {
    const g = new GraphBuilder('ln');
    const x = g.input('x', 'float32', [1, 4]);
    const gamma = g.initializer('gamma', 'float32', [4], new Float32Array([1, 2, 1, 1]));
    const beta = g.initializer('beta', 'float32', [4], new Float32Array([0, 0, 0, 1]));
    const ln = emitLayerNorm(g, x, gamma, beta, 1e-12, 'y');
    g.output(ln.y, 'float32', [1, 4]);
    // x = [1, 2, 3, 4]: mean 2.5, var = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, 1/sqrt(1.25) = 0.894427191
    // normalised = [-1.341640786, -0.447213595, 0.447213595, 1.341640786]; * gamma + beta:
    const out = await runOne(g, { x: float32Feed(new Float32Array([1, 2, 3, 4]), [1, 4]) }, ln.y);
    [-1.341640786, -0.894427191, 0.447213595, 2.341640786].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 5));
  });

  it('mask bias is (1 - mask) * -10000, shaped (B, 1, 1, T)', async () => {
    const g = new GraphBuilder('mask');
    const m = g.input('m', 'int64', ['batch', 'seq']);
    const bias = emitMaskBias(g, m);
    g.output(bias, 'float32', ['batch', 1, 1, 'seq']);
    const session = await OrtSession.create(g.toBytes(), { threads: 1 });
    const r = await session.runFloat({ m: int64Feed([1, 1, 0, 1, 0, 0], [2, 3]) }, bias);
    expect(r.dims).toEqual([2, 1, 1, 3]);
    expect(Array.from(r.data, (v) => v + 0)).toEqual([0, 0, -10000, 0, -10000, -10000]);
    await session.release();
  });
});
