/**
 * An independent float64 reference of the model spec in plain JS loops (no tfjs), for tests:
 * the tfjs forward is compared with it, and finite differences of it check the tfjs gradients.
 * Written straight from the spec, index by index; slow, for tiny configs only.
 */
import type { MlmBatch } from '../../src/data/batch.js';
import type { BertConfig } from '../../src/model/config.js';
import { keepMaskValues, type DropoutContext } from '../../src/model/dropout.js';

export type RefParams = Record<string, { shape: number[]; data: Float64Array }>;

/** erf(x) to ~1e-14: Taylor series for |x| <= 3, continued fraction for erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 3) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x,
      sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const geluRef = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** y = x W + b.  x (n, k), W (k, m), b (m) -> (n, m) */
function dense(x: Float64Array, n: number, W: Float64Array, b: Float64Array, k: number, m: number): Float64Array {
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = b[j];
      for (let t = 0; t < k; t++) s += x[i * k + t] * W[t * m + j];
      y[i * m + j] = s;
    }
  }
  return y;
}

/** LayerNorm of each row (n, h) in place of a copy. */
function layerNorm(x: Float64Array, n: number, h: number, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(n * h);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < h; j++) mean += x[i * h + j] / h;
    let v = 0;
    for (let j = 0; j < h; j++) v += (x[i * h + j] - mean) ** 2 / h;
    const r = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < h; j++) y[i * h + j] = (x[i * h + j] - mean) * r * gamma[j] + beta[j];
  }
  return y;
}

function keep(x: Float64Array, drop: DropoutContext | undefined, site: string): Float64Array {
  if (!drop) return x;
  const k = keepMaskValues(drop, site, x.length);
  return Float64Array.from(x, (v, i) => v * k[i]);
}

/** Mean MLM loss and accuracy of the spec's forward pass, in float64. */
export function refLoss(p: RefParams, c: BertConfig, batch: MlmBatch, drop?: DropoutContext): { loss: number; accuracy: number } {
  const { batchSize: B, seqLen: T } = batch;
  const H = c.hiddenSize,
    A = c.numHeads,
    d = H / A,
    I = c.intermediateSize,
    V = c.vocabSize,
    n = B * T;
  const w = (name: string) => p[name].data;
  // embeddings
  let x: Float64Array = new Float64Array(n * H);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < H; j++) {
      x[i * H + j] =
        w('embeddings.word_embeddings')[batch.inputIds[i] * H + j] +
        w('embeddings.position_embeddings')[(i % T) * H + j] +
        w('embeddings.token_type_embeddings')[batch.tokenTypeIds[i] * H + j];
    }
  }
  x = keep(layerNorm(x, n, H, w('embeddings.LayerNorm.gamma'), w('embeddings.LayerNorm.beta'), c.layerNormEps), drop, 'embeddings');
  for (let l = 0; l < c.numLayers; l++) {
    const pre = `encoder.layer.${l}.`;
    const q = dense(x, n, w(pre + 'attention.self.query.kernel'), w(pre + 'attention.self.query.bias'), H, H);
    const k = dense(x, n, w(pre + 'attention.self.key.kernel'), w(pre + 'attention.self.key.bias'), H, H);
    const v = dense(x, n, w(pre + 'attention.self.value.kernel'), w(pre + 'attention.self.value.bias'), H, H);
    let probs: Float64Array = new Float64Array(B * A * T * T); // (B, A, T, T)
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < A; h++) {
        for (let t1 = 0; t1 < T; t1++) {
          const row = ((b * A + h) * T + t1) * T;
          for (let t2 = 0; t2 < T; t2++) {
            let s = 0;
            for (let j = 0; j < d; j++) s += q[(b * T + t1) * H + h * d + j] * k[(b * T + t2) * H + h * d + j];
            probs[row + t2] = s / Math.sqrt(d) + (1 - batch.attentionMask[b * T + t2]) * -10000;
          }
          const mx = Math.max(...probs.subarray(row, row + T));
          let z = 0;
          for (let t2 = 0; t2 < T; t2++) z += Math.exp(probs[row + t2] - mx);
          for (let t2 = 0; t2 < T; t2++) probs[row + t2] = Math.exp(probs[row + t2] - mx) / z;
        }
      }
    }
    probs = keep(probs, drop, `layer.${l}.attention.probs`);
    const ctx = new Float64Array(n * H);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < A; h++) {
        for (let t1 = 0; t1 < T; t1++) {
          for (let j = 0; j < d; j++) {
            let s = 0;
            for (let t2 = 0; t2 < T; t2++) s += probs[((b * A + h) * T + t1) * T + t2] * v[(b * T + t2) * H + h * d + j];
            ctx[(b * T + t1) * H + h * d + j] = s;
          }
        }
      }
    }
    const attn = keep(
      dense(ctx, n, w(pre + 'attention.output.dense.kernel'), w(pre + 'attention.output.dense.bias'), H, H),
      drop,
      `layer.${l}.attention.output`,
    );
    x = layerNorm(
      x.map((xv, i) => xv + attn[i]),
      n,
      H,
      w(pre + 'attention.output.LayerNorm.gamma'),
      w(pre + 'attention.output.LayerNorm.beta'),
      c.layerNormEps,
    );
    const inner = dense(x, n, w(pre + 'intermediate.dense.kernel'), w(pre + 'intermediate.dense.bias'), H, I).map(geluRef);
    const out = keep(dense(inner, n, w(pre + 'output.dense.kernel'), w(pre + 'output.dense.bias'), I, H), drop, `layer.${l}.output`);
    x = layerNorm(
      x.map((xv, i) => xv + out[i]),
      n,
      H,
      w(pre + 'output.LayerNorm.gamma'),
      w(pre + 'output.LayerNorm.beta'),
      c.layerNormEps,
    );
  }
  // MLM head on the selected rows
  const N = batch.maskedPositions.length;
  const rows = new Float64Array(N * H);
  batch.maskedPositions.forEach((pos, i) => rows.set(x.subarray(pos * H, pos * H + H), i * H));
  const pre = 'cls.predictions.transform.';
  const t = layerNorm(
    dense(rows, N, w(pre + 'dense.kernel'), w(pre + 'dense.bias'), H, H).map(geluRef),
    N,
    H,
    w(pre + 'LayerNorm.gamma'),
    w(pre + 'LayerNorm.beta'),
    c.layerNormEps,
  );
  let loss = 0,
    correct = 0;
  for (let i = 0; i < N; i++) {
    const logits = new Float64Array(V);
    for (let u = 0; u < V; u++) {
      let s = w('cls.predictions.bias')[u];
      for (let j = 0; j < H; j++) s += t[i * H + j] * w('embeddings.word_embeddings')[u * H + j];
      logits[u] = s;
    }
    const mx = Math.max(...logits);
    const lse = mx + Math.log(logits.reduce((a, z) => a + Math.exp(z - mx), 0));
    loss += (lse - logits[batch.maskedLabels[i]]) / N;
    if (logits.indexOf(mx) === batch.maskedLabels[i]) correct += 1 / N;
  }
  return { loss, accuracy: correct };
}
