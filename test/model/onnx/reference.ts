/**
 * Test helpers: random weights for a config, and an independent float64 reference forward pass of the
 * model in plain JS loops (written from the model spec, sharing no code with the ONNX emitters).
 */
import type { BertConfig } from '../../../src/model/config.js';
import type { HostParams } from '../../../src/core/params.js';
import { paramShapes } from '../../../src/model/onnx/bert-params.js';
import { rng } from '../../../src/core/random.js';

/**
 * Weights ~ N(0, std) for every parameter, gammas 1 + N(0, std): non-trivial biases and gammas so that
 * a swapped or missing term shows up in the outputs.
 */
export function randomHostParams(c: BertConfig, seed: number, std = 0.05): HostParams {
  const r = rng(seed, 'test-weights');
  const out: HostParams = {};
  for (const [name, shape] of Object.entries(paramShapes(c))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (name.endsWith('gamma') ? 1 : 0) + std * r.normal();
    out[name] = { shape, data };
  }
  return out;
}

/** erf(x): Taylor series for |x| < 3 (error < 1e-12), Abramowitz-Stegun 7.1.26 beyond (error < 1.5e-7). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x,
      sum = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n; // (-1)^n x^(2n+1) / n!
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  const t = 1 / (1 + 0.3275911 * ax);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-ax * ax));
}

const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

type Mat = Float64Array<ArrayBufferLike>[]; // rows

function dense(x: Mat, w: { data: Float32Array; shape: number[] }, b: Float32Array): Mat {
  const [nIn, nOut] = w.shape;
  return x.map((row) => {
    const y = Float64Array.from(b);
    for (let i = 0; i < nIn; i++) for (let o = 0; o < nOut; o++) y[o] += row[i] * w.data[i * nOut + o];
    return y;
  });
}

function layerNorm(x: Mat, gamma: Float32Array, beta: Float32Array, eps: number): Mat {
  return x.map((row) => {
    const n = row.length;
    const mean = row.reduce((a, b) => a + b, 0) / n;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[i] + beta[i]);
  });
}

const add = (a: Mat, b: Mat): Mat => a.map((row, r) => row.map((v, i) => v + b[r][i]));

export interface RefBatch {
  batchSize: number;
  seqLen: number;
  inputIds: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
  tokenTypeIds: ArrayLike<number>;
}

/** Full-sequence MLM logits (B*T rows of V), float64, for one batch. */
export function referenceLogits(c: BertConfig, p: HostParams, batch: RefBatch): Mat {
  const { batchSize: B, seqLen: T } = batch;
  const H = c.hiddenSize,
    A = c.numHeads,
    d = H / A;
  const row = (name: string, r: number): Float64Array => Float64Array.from(p[name].data.subarray(r * H, (r + 1) * H));
  let x: Mat = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      const w = row('embeddings.word_embeddings', batch.inputIds[i]);
      const pos = row('embeddings.position_embeddings', t);
      const typ = row('embeddings.token_type_embeddings', batch.tokenTypeIds[i]);
      x.push(w.map((v, k) => v + pos[k] + typ[k]));
    }
  }
  x = layerNorm(x, p['embeddings.LayerNorm.gamma'].data, p['embeddings.LayerNorm.beta'].data, c.layerNormEps);
  for (let l = 0; l < c.numLayers; l++) {
    const pre = `encoder.layer.${l}`;
    const lin = (name: string, input: Mat): Mat => dense(input, p[`${pre}.${name}.kernel`], p[`${pre}.${name}.bias`].data);
    const q = lin('attention.self.query', x),
      k = lin('attention.self.key', x),
      v = lin('attention.self.value', x);
    const ctx: Mat = x.map(() => new Float64Array(H));
    for (let b = 0; b < B; b++) {
      for (let a = 0; a < A; a++) {
        for (let tq = 0; tq < T; tq++) {
          const s = new Float64Array(T);
          for (let tk = 0; tk < T; tk++) {
            let dot = 0;
            for (let e = 0; e < d; e++) dot += q[b * T + tq][a * d + e] * k[b * T + tk][a * d + e];
            s[tk] = dot / Math.sqrt(d) + (1 - batch.attentionMask[b * T + tk]) * -10000;
          }
          const m = Math.max(...s);
          const ex = s.map((z) => Math.exp(z - m));
          const z = ex.reduce((u, w) => u + w, 0);
          for (let tk = 0; tk < T; tk++) {
            for (let e = 0; e < d; e++) ctx[b * T + tq][a * d + e] += (ex[tk] / z) * v[b * T + tk][a * d + e];
          }
        }
      }
    }
    const ln = (name: string, input: Mat): Mat =>
      layerNorm(input, p[`${pre}.${name}.gamma`].data, p[`${pre}.${name}.beta`].data, c.layerNormEps);
    x = ln('attention.output.LayerNorm', add(x, lin('attention.output.dense', ctx)));
    const inter = lin('intermediate.dense', x).map((r) => r.map(gelu));
    x = ln('output.LayerNorm', add(x, lin('output.dense', inter)));
  }
  const hp = 'cls.predictions.transform';
  let t: Mat = dense(x, p[`${hp}.dense.kernel`], p[`${hp}.dense.bias`].data).map((r) => r.map(gelu));
  t = layerNorm(t, p[`${hp}.LayerNorm.gamma`].data, p[`${hp}.LayerNorm.beta`].data, c.layerNormEps);
  const word = p['embeddings.word_embeddings'].data,
    bias = p['cls.predictions.bias'].data;
  return t.map((r) => {
    const logits = Float64Array.from(bias);
    for (let vId = 0; vId < c.vocabSize; vId++) for (let e = 0; e < H; e++) logits[vId] += r[e] * word[vId * H + e];
    return logits;
  });
}
