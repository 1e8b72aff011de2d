import { describe, expect, it } from 'vitest';
import type onnxProto from 'onnx-proto';
import { presetConfig } from '../../../src/model/config.js';
import { GraphBuilder, onnx } from '../../../src/formats/onnx-builder.js';
import { CONFIG_KEY, exportOnnx, importOnnx, ONNX_INPUTS } from '../../../src/model/onnx/export.js';
import { paramShapes } from '../../../src/model/onnx/bert-params.js';
import { OrtSession, int64Feed } from '../../../src/runtime/ort.js';
import { randomHostParams, referenceLogits, type RefBatch } from './reference.js';

const config = presetConfig('tiny', { vocabSize: 40, maxPositions: 12 });
const params = randomHostParams(config, 1);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function ortLogits(session: OrtSession, batch: RefBatch): Promise<{ dims: number[]; data: Float32Array }> {
  const dims = [batch.batchSize, batch.seqLen];
  return session.runFloat(
    {
      input_ids: int64Feed(Array.from(batch.inputIds), dims),
      attention_mask: int64Feed(Array.from(batch.attentionMask), dims),
      token_type_ids: int64Feed(Array.from(batch.tokenTypeIds), dims),
    },
    'logits',
  );
}

describe('exportOnnx', () => {
  it('matches the float64 reference forward on padded batches of two different shapes', async () => {
    const session = await OrtSession.create(exportOnnx(config, params), { threads: 1 });
    const batches: RefBatch[] = [
      // row 1 has two padding positions; row 0 uses segment 1 for its tail
      {
        batchSize: 2,
        seqLen: 5,
        inputIds: [2, 7, 9, 11, 3, 2, 5, 3, 0, 0],
        attentionMask: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        tokenTypeIds: [0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
      },
      {
        batchSize: 3,
        seqLen: 7,
        inputIds: Array.from({ length: 21 }, (_, i) => (i * 7) % 40),
        attentionMask: Array.from({ length: 21 }, (_, i) => (i % 7 < 4 + (i % 3) ? 1 : 0)),
        tokenTypeIds: new Array(21).fill(0),
      },
    ];
    for (const batch of batches) {
      const got = await ortLogits(session, batch);
      expect(got.dims).toEqual([batch.batchSize, batch.seqLen, config.vocabSize]);
      const want = referenceLogits(config, params, batch).flatMap((r) => Array.from(r));
      expect(maxAbsDiff(got.data, want)).toBeLessThan(1e-4);
    }
    await session.release();
  });

  it('ignores the contents of padded positions (the mask bias removes them from attention)', async () => {
    const session = await OrtSession.create(exportOnnx(config, params), { threads: 1 });
    const base = { batchSize: 1, seqLen: 6, attentionMask: [1, 1, 1, 1, 0, 0], tokenTypeIds: [0, 0, 0, 0, 0, 0] };
    const a = await ortLogits(session, { ...base, inputIds: [2, 8, 9, 3, 0, 0] });
    const b = await ortLogits(session, { ...base, inputIds: [2, 8, 9, 3, 17, 25] });
    const V = config.vocabSize;
    // exp(-10000) underflows to 0 in float32, so real positions are bit-for-bit unaffected
    expect(maxAbsDiff(a.data.subarray(0, 4 * V), b.data.subarray(0, 4 * V))).toBe(0);
    expect(maxAbsDiff(a.data.subarray(4 * V), b.data.subarray(4 * V))).toBeGreaterThan(1e-3);
    await session.release();
  });

  it('declares int64 (batch, sequence) inputs, a (batch, sequence, V) output, opset 17 and unique initializers', () => {
    const m = onnx.ModelProto.decode(exportOnnx(config, params));
    const graph = m.graph as onnxProto.onnx.GraphProto;
    const dims = (v: onnxProto.onnx.IValueInfoProto): (string | number)[] =>
      v.type!.tensorType!.shape!.dim!.map((d: onnxProto.onnx.TensorShapeProto.IDimension) => d.dimParam || Number(d.dimValue));
    expect(graph.input.map((v) => v.name)).toEqual([...ONNX_INPUTS]);
    expect(graph.input.map((v) => v.type!.tensorType!.elemType)).toEqual([7, 7, 7]); // 7 = INT64
    expect(graph.input.map(dims)).toEqual([
      ['batch', 'sequence'],
      ['batch', 'sequence'],
      ['batch', 'sequence'],
    ]);
    expect(graph.output.map((v) => [v.name, dims(v)])).toEqual([['logits', ['batch', 'sequence', 40]]]);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const names = graph.initializer.map((t) => t.name);
    expect(names).toEqual(Object.keys(paramShapes(config))); // one per parameter, sorted, none twice
  });
});

describe('importOnnx', () => {
  it('round-trips config and weights: export -> import -> export is byte-identical', () => {
    const bytes = exportOnnx(config, params);
    const back = importOnnx(bytes);
    expect(back.config).toEqual(config);
    for (const name of Object.keys(params)) {
      expect(back.params[name].shape).toEqual(params[name].shape);
      expect(Buffer.from(back.params[name].data.buffer).equals(Buffer.from(params[name].data.buffer))).toBe(true);
    }
    expect(Buffer.from(exportOnnx(back.config, back.params)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects a non-ONNX file, a truncated file and a model with other inputs, in one line', () => {
    const text = new TextEncoder().encode('{"this": "is json, not onnx"}\n');
    expect(() => importOnnx(text, 'x.onnx')).toThrow(/^x\.onnx is not (a readable )?(an )?ONNX model/);
    const bytes = exportOnnx(config, params);
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    expect(() => importOnnx(cut, 'cut.onnx')).toThrow(/cut\.onnx .*truncated/);
    const g = new GraphBuilder('other');
    g.output(g.op('Relu', [g.input('x', 'float32', [2])]), 'float32', [2]);
    expect(() => importOnnx(g.toBytes(), 'other.onnx')).toThrow(
      /^other\.onnx has inputs \[x\] but a graftlr MLM model needs \[attention_mask, input_ids, token_type_ids\]/,
    );
  });

  it('rejects a model whose config metadata does not match its weights', () => {
    const g = new GraphBuilder('meta');
    for (const n of ONNX_INPUTS) g.input(n, 'int64', ['batch', 'sequence']);
    g.output(g.op('Identity', ['input_ids']), 'int64', ['batch', 'sequence']);
    expect(() => importOnnx(g.toBytes(), 'm.onnx')).toThrow(/m\.onnx has no graftlr metadata/);
    g.setMetadata('graftlr.format', 'bert-mlm/1');
    g.setMetadata(CONFIG_KEY, JSON.stringify({ ...config, numHeads: 3 }));
    expect(() => importOnnx(g.toBytes(), 'm.onnx')).toThrow(/bad graftlr\.config entry: config\.hiddenSize = 128 must be divisible/);
  });
});
