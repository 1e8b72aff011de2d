/**
 * One post-LN transformer block for the training graph: forward with every activation the backward pass
 * needs, and that backward pass. Same arithmetic as src/model/onnx/bert-graph.ts emitLayer, laid out for speed:
 * activations are 2-D (B*T, H); Q, K and V come from one fused product with W_qkv = [Wq c | Wk | Wv]
 * (c = 1/sqrt(d) folded into the query weights, so q' = c q and s = q' k^T + maskBias).
 */
import type { BertConfig } from '../../model/config.js';
import type { ParamRef } from '../../model/onnx/bert-graph.js';
import { emitLayerNorm, type LayerNormValues } from '../../model/onnx/bert-graph.js';
import { denseBackward, geluBackward, layerNormBackward, softmaxBackward } from './backward.js';
import type { LayerMasks } from './dropout.js';
import type { Emitter } from './ops.js';

/** Runtime shapes shared by all layers: [B, T, 3, A, d] and [B, T, A, d] as int64 values. */
export interface HeadShapes {
  qkv5: string;
  heads4: string;
}

/**
 * What the backward pass reads of the forward pass. Two values are recomputed in the backward pass
 * instead of being kept alive from the forward pass to it: the fused weight W_qkv (a copy of three
 * weights, 3 H^2 numbers per layer) and the GELU output (B T I per layer, the largest activation), which
 * at BERT-base with batch 8 x 128 saves about 235 MB for one elementwise pass and one copy per layer.
 */
export interface LayerSaved {
  x: string; // (BT, H) layer input
  q: string;
  k: string;
  v: string; // (B, A, T, d); q is scaled by c
  probs: string; // (B, A, T, T) softmax output
  probsKept: string; // (B, A, T, T) after dropout (= probs without dropout)
  context: string; // (BT, H)
  masks?: LayerMasks; // dropout keep-masks (training with dropout only)
  attnRes: string;
  attnLn: LayerNormValues; // (BT, H)
  ffnPre: string; // (BT, I) the GELU input
  ffnRes: string;
  outLn: LayerNormValues; // (BT, H)
}

const prefix = (i: number): string => `encoder.layer.${i}`;

/**
 * x (BT, H) -> layer output (BT, H) = saved.outLn.y. With `masks`, dropout multiplies the attention
 * probabilities and both residual branches by their keep-masks (which already hold the 1/(1-p) scale).
 */
export function layerForward(
  e: Emitter,
  c: BertConfig,
  p: ParamRef,
  i: number,
  x: string,
  maskBias: string,
  shapes: HeadShapes,
  masks?: LayerMasks,
): LayerSaved {
  const pre = prefix(i),
    h = `l${i}`;
  const scale = e.scalar(1 / Math.sqrt(c.hiddenSize / c.numHeads));
  const self = (name: string, part: string): string => p(`${pre}.attention.self.${name}.${part}`);
  const wqkv = fusedQkvKernel(e, c, p, i, h); // (H, 3H)
  const bqkv = e.concat([e.mul(self('query', 'bias'), scale, `${h}.bq_s`), self('key', 'bias'), self('value', 'bias')], 0, `${h}.bqkv`); // (3H)
  const qkv = e.gemm(x, wqkv, `${h}.qkv`, { bias: bqkv }); // (BT, 3H)
  const qkvHeads = e.transpose(e.reshape(qkv, shapes.qkv5, `${h}.qkv5`), [2, 0, 3, 1, 4], `${h}.qkv_heads`); // (3, B, A, T, d)
  const [q, k, v] = e.split(qkvHeads, 0, [1, 1, 1], `${h}.qkv_split`).map((t, j) => e.squeeze(t, [0], `${h}.${'qkv'[j]}`)); // (B, A, T, d)
  const kT = e.transpose(k, [0, 1, 3, 2], `${h}.k_t`); // (B, A, d, T)
  const scores = e.add(e.matmul(q, kT, `${h}.scores_raw`), maskBias, `${h}.scores`); // (B, A, T, T)
  const probs = e.op('Softmax', [scores], `${h}.probs`, { axis: { kind: 'int', value: -1 } }); // (B, A, T, T)
  const probsKept = masks ? e.mul(probs, masks.probs, `${h}.probs_kept`) : probs; // (B, A, T, T)
  const ctxHeads = e.matmul(probsKept, v, `${h}.ctx_heads`); // (B, A, T, d)
  const context = e.reshape(e.transpose(ctxHeads, [0, 2, 1, 3], `${h}.ctx_t`), [-1, c.hiddenSize], `${h}.context`); // (BT, H)
  const attnOut = e.gemm(context, p(`${pre}.attention.output.dense.kernel`), `${h}.attn_out`, {
    bias: p(`${pre}.attention.output.dense.bias`),
  });
  const attnRes = e.add(x, masks ? e.mul(attnOut, masks.attnOut, `${h}.attn_kept`) : attnOut, `${h}.attn_res`); // (BT, H)
  const attnLn = emitLayerNorm(
    e.g,
    attnRes,
    p(`${pre}.attention.output.LayerNorm.gamma`),
    p(`${pre}.attention.output.LayerNorm.beta`),
    c.layerNormEps,
    `${h}.attn_ln`,
  ); // (BT, H)
  const ffnPre = e.gemm(attnLn.y, p(`${pre}.intermediate.dense.kernel`), `${h}.ffn_pre`, { bias: p(`${pre}.intermediate.dense.bias`) }); // (BT, I)
  const ffnAct = e.op('Gelu', [ffnPre], `${h}.ffn_gelu`); // (BT, I), exact erf GELU (opset 20)
  const ffnOut = e.gemm(ffnAct, p(`${pre}.output.dense.kernel`), `${h}.ffn_out`, { bias: p(`${pre}.output.dense.bias`) }); // (BT, H)
  const ffnRes = e.add(attnLn.y, masks ? e.mul(ffnOut, masks.out, `${h}.ffn_kept`) : ffnOut, `${h}.ffn_res`); // (BT, H)
  const outLn = emitLayerNorm(
    e.g,
    ffnRes,
    p(`${pre}.output.LayerNorm.gamma`),
    p(`${pre}.output.LayerNorm.beta`),
    c.layerNormEps,
    `${h}.out_ln`,
  ); // (BT, H)
  return { x, q, k, v, probs, probsKept, context, masks, attnRes, attnLn, ffnPre, ffnRes, outLn };
}

/** W_qkv = [Wq c | Wk | Wv] (H, 3H), c = 1/sqrt(d): emitted once in the forward and again in the backward pass. */
function fusedQkvKernel(e: Emitter, c: BertConfig, p: ParamRef, i: number, hint: string): string {
  const self = (name: string): string => p(`${prefix(i)}.attention.self.${name}.kernel`);
  const scale = e.scalar(1 / Math.sqrt(c.hiddenSize / c.numHeads));
  return e.concat([e.mul(self('query'), scale, `${hint}.wq_s`), self('key'), self('value')], 1, `${hint}.wqkv`); // (H, 3H)
}

/**
 * Backward through one layer: dOut (BT, H) -> dx (BT, H), and the gradient of each of the layer's
 * parameters (param name -> value name), added to `grads`.
 */
export function layerBackward(
  e: Emitter,
  c: BertConfig,
  p: ParamRef,
  i: number,
  s: LayerSaved,
  dOut: string,
  shapes: HeadShapes,
  grads: Record<string, string>,
): string {
  const pre = prefix(i),
    h = `g${i}`;
  const H = c.hiddenSize,
    scaleValue = 1 / Math.sqrt(H / c.numHeads);
  // x2 = LN(ffnRes), ffnRes = x1 + gelu(x1 W1 + b1) W2 + b2
  const ln2 = layerNormBackward(
    e,
    { x: s.ffnRes, mean: s.outLn.mean, invStd: s.outLn.invStdDev, gamma: p(`${pre}.output.LayerNorm.gamma`) },
    dOut,
    'BT',
    `${h}.out_ln`,
  ); // dFfnRes (BT, H)
  grads[`${pre}.output.LayerNorm.gamma`] = ln2.dGamma;
  grads[`${pre}.output.LayerNorm.beta`] = ln2.dBeta;
  const dFfnOut = s.masks ? e.mul(ln2.dx, s.masks.out, `${h}.dffn_kept`) : ln2.dx; // through dropout (BT, H)
  const ffnAct = e.op('Gelu', [s.ffnPre], `${h}.ffn_gelu_again`); // (BT, I), recomputed (see LayerSaved)
  const out = denseBackward(e, ffnAct, p(`${pre}.output.dense.kernel`), dFfnOut, 'BT', `${h}.ffn_out`, { scale: 0.5 }); // dx / 2 (BT, I)
  grads[`${pre}.output.dense.kernel`] = out.dKernel;
  grads[`${pre}.output.dense.bias`] = out.dBias;
  const dPre = geluBackward(e, s.ffnPre, out.dx, `${h}.gelu`); // takes dx / 2 (BT, I)
  const inter = denseBackward(e, s.attnLn.y, p(`${pre}.intermediate.dense.kernel`), dPre, 'BT', `${h}.ffn_pre`, { plus: ln2.dx }); // dx1: both paths into x1, the dense one and the residual (BT, H)
  grads[`${pre}.intermediate.dense.kernel`] = inter.dKernel;
  grads[`${pre}.intermediate.dense.bias`] = inter.dBias;
  const dX1 = inter.dx;
  // x1 = LN(attnRes), attnRes = x + context Wo + bo
  const ln1 = layerNormBackward(
    e,
    { x: s.attnRes, mean: s.attnLn.mean, invStd: s.attnLn.invStdDev, gamma: p(`${pre}.attention.output.LayerNorm.gamma`) },
    dX1,
    'BT',
    `${h}.attn_ln`,
  ); // dAttnRes (BT, H)
  grads[`${pre}.attention.output.LayerNorm.gamma`] = ln1.dGamma;
  grads[`${pre}.attention.output.LayerNorm.beta`] = ln1.dBeta;
  const dAttnOut = s.masks ? e.mul(ln1.dx, s.masks.attnOut, `${h}.dattn_kept`) : ln1.dx; // through dropout (BT, H)
  const ao = denseBackward(e, s.context, p(`${pre}.attention.output.dense.kernel`), dAttnOut, 'BT', `${h}.attn_out`);
  grads[`${pre}.attention.output.dense.kernel`] = ao.dKernel;
  grads[`${pre}.attention.output.dense.bias`] = ao.dBias;
  // context = merge(pk v), pk = dropout(p), p = softmax(q' k^T + maskBias)
  const dCtx = e.transpose(e.reshape(ao.dx, shapes.heads4, `${h}.dctx4`), [0, 2, 1, 3], `${h}.dctx`); // (B, A, T, d)
  const dKept = e.matmul(dCtx, e.transpose(s.v, [0, 1, 3, 2], `${h}.v_t`), `${h}.dprobs_kept`); // dpk = dctx v^T (B, A, T, T)
  const dProbs = s.masks ? e.mul(dKept, s.masks.probs, `${h}.dprobs`) : dKept; // dp = dpk * keep
  const dV = e.matmul(e.transpose(s.probsKept, [0, 1, 3, 2], `${h}.p_t`), dCtx, `${h}.dv`); // dv = pk^T dctx (B, A, T, d)
  const dScores = softmaxBackward(e, s.probs, dProbs, `${h}.softmax`); // (B, A, T, T)
  const dQ = e.matmul(dScores, s.k, `${h}.dq`); // dq' = ds k (B, A, T, d)
  const dK = e.matmul(e.transpose(dScores, [0, 1, 3, 2], `${h}.ds_t`), s.q, `${h}.dk`); // dk = ds^T q' (B, A, T, d)
  const stacked = e.concat(
    [dQ, dK, dV].map((t, j) => e.unsqueeze(t, [0], `${h}.d${'qkv'[j]}5`)),
    0,
    `${h}.dqkv_heads`,
  ); // (3, B, A, T, d)
  const dQkv = e.reshape(e.transpose(stacked, [1, 3, 0, 2, 4], `${h}.dqkv5`), [-1, 3 * H], `${h}.dqkv`); // (BT, 3H)
  const wqkv = fusedQkvKernel(e, c, p, i, h); // (H, 3H), recomputed (see LayerSaved)
  const qkv = denseBackward(e, s.x, wqkv, dQkv, 'BT', `${h}.qkv`, { plus: ln1.dx }); // dx = attention + residual paths (BT, H)
  const [dWq, dWk, dWv] = e.split(qkv.dKernel, 1, [H, H, H], `${h}.dwqkv`);
  const [dBq, dBk, dBv] = e.split(qkv.dBias, 0, [H, H, H], `${h}.dbqkv`);
  const scale = e.scalar(scaleValue);
  // q' = x (c Wq) + c bq, so dWq = c x^T dq' and dbq = c sum(dq')
  grads[`${pre}.attention.self.query.kernel`] = e.mul(dWq, scale, `${h}.dwq`);
  grads[`${pre}.attention.self.query.bias`] = e.mul(dBq, scale, `${h}.dbq`);
  grads[`${pre}.attention.self.key.kernel`] = dWk;
  grads[`${pre}.attention.self.key.bias`] = dBk;
  grads[`${pre}.attention.self.value.kernel`] = dWv;
  grads[`${pre}.attention.self.value.bias`] = dBv;
  return qkv.dx;
}
