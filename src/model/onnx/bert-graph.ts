/**
 * The BERT forward pass as ONNX ops, emitted into a GraphBuilder. Same model as src/model/bert.ts
 * (post-LayerNorm BERT, exact erf GELU, mask bias (1 - mask) * -10000, MLM head tied to the word embeddings).
 *
 * The pieces are composable so that the export graph and the onnxruntime training graph share them:
 *   emitEmbeddings -> emitMaskBias -> emitLayer (x L) -> [emitGatherRows] -> emitMlmHead
 * Parameters are referred to through a `ParamRef` (parameter name -> graph value name), so they may be
 * initializers (export) or graph inputs (training feeds them each step). Each emitter returns the names of
 * its intermediate values, which a hand-written backward pass can read.
 * Notation: B batch, T sequence, H hidden, A heads, d = H/A, I intermediate, V vocab, N selected rows.
 */
import type { BertConfig } from '../config.js';
import { attr, type GraphBuilder } from '../../formats/onnx-builder.js';

/** Parameter name (e.g. 'encoder.layer.0.attention.self.query.kernel') -> graph value name. */
export type ParamRef = (paramName: string) => string;

/**
 * Optional hook applied where the model has dropout (training only): given a value and the place
 * ('embeddings', 'layer.{i}.attention.probs', 'layer.{i}.attention.output', 'layer.{i}.output'),
 * returns the value to use instead. The default is the identity (inference; dropout 0).
 */
export type DropoutHook = (value: string, where: string) => string;
const noDropout: DropoutHook = (value) => value;

export interface LayerNormValues {
  y: string;
  mean: string;
  invStdDev: string;
}

/**
 * y = (x - mean) / sqrt(var + eps) * gamma + beta over the last axis, as ONNX LayerNormalization (opset 17);
 * mean and 1/sqrt(var + eps) (shape (..., 1)) are returned too, for a backward pass.
 */
export function emitLayerNorm(g: GraphBuilder, x: string, gamma: string, beta: string, eps: number, hint: string): LayerNormValues {
  const [y, mean, invStdDev] = g.node('LayerNormalization', [x, gamma, beta], {
    outputs: [g.uniqueName(hint), g.uniqueName(`${hint}.mean`), g.uniqueName(`${hint}.inv_std`)],
    attrs: { axis: attr.int(-1), epsilon: attr.float(eps) },
    hint,
  });
  return { y, mean, invStdDev };
}

/** gelu(x) = 0.5 x (1 + erf(x / sqrt 2)), exact (BERT / Hugging Face "gelu"). */
export function emitGelu(g: GraphBuilder, x: string, hint: string): string {
  const sqrt2 = g.constant('float32', [], [Math.SQRT2], `${hint}.sqrt2`);
  const one = g.constant('float32', [], [1], `${hint}.one`);
  const half = g.constant('float32', [], [0.5], `${hint}.half`);
  const erf = g.op('Erf', [g.op('Div', [x, sqrt2], {}, `${hint}.scaled`)], {}, `${hint}.erf`);
  const gate = g.op('Mul', [half, g.op('Add', [erf, one], {}, `${hint}.gate1`)], {}, `${hint}.gate`);
  return g.op('Mul', [x, gate], {}, hint);
}

/** y = x @ kernel + bias (kernel stored [in, out]); works for any leading dims. */
export function emitDense(g: GraphBuilder, x: string, p: ParamRef, prefix: string, hint: string): string {
  const xw = g.op('MatMul', [x, p(`${prefix}.kernel`)], {}, `${hint}.matmul`);
  return g.op('Add', [xw, p(`${prefix}.bias`)], {}, hint);
}

export interface EmbeddingValues {
  x: string;
  sum: string;
  ln: LayerNormValues;
}

/**
 * x = LN(word[input_ids] + pos[0..T) + type[token_type_ids]); dropout.  input ids: int64 (B, T).
 * Returns x (B, T, H).
 */
export function emitEmbeddings(
  g: GraphBuilder,
  c: BertConfig,
  p: ParamRef,
  inputs: { inputIds: string; tokenTypeIds: string },
  dropout: DropoutHook = noDropout,
): EmbeddingValues {
  const word = g.op('Gather', [p('embeddings.word_embeddings'), inputs.inputIds], {}, 'emb.word'); // (B, T, H)
  const seqLen = g.op('Shape', [inputs.inputIds], { start: attr.int(1), end: attr.int(2) }, 'emb.seq_len'); // (1) = [T]
  const zero = g.constant('int64', [1], [0], 'emb.zero');
  const pos = g.op('Slice', [p('embeddings.position_embeddings'), zero, seqLen, zero], {}, 'emb.pos'); // (T, H)
  const type = g.op('Gather', [p('embeddings.token_type_embeddings'), inputs.tokenTypeIds], {}, 'emb.type'); // (B, T, H)
  const sum = g.op('Add', [g.op('Add', [word, pos], {}, 'emb.word_pos'), type], {}, 'emb.sum'); // (B, T, H)
  const ln = emitLayerNorm(g, sum, p('embeddings.LayerNorm.gamma'), p('embeddings.LayerNorm.beta'), c.layerNormEps, 'emb.ln');
  return { x: dropout(ln.y, 'embeddings'), sum, ln };
}

/** maskBias[b, key] = (1 - attention_mask[b, key]) * -10000, shaped (B, 1, 1, T) to add to scores (B, A, T, T). */
export function emitMaskBias(g: GraphBuilder, attentionMask: string): string {
  const m = g.op('Cast', [attentionMask], { to: attr.int(1 /* FLOAT */) }, 'mask.float'); // (B, T)
  const one = g.constant('float32', [], [1], 'mask.one');
  const big = g.constant('float32', [], [-10000], 'mask.neg');
  const bias = g.op('Mul', [g.op('Sub', [one, m], {}, 'mask.inv'), big], {}, 'mask.bias'); // (B, T)
  const axes = g.constant('int64', [2], [1, 2], 'mask.axes');
  return g.op('Unsqueeze', [bias, axes], {}, 'mask.bias4'); // (B, 1, 1, T)
}

export interface LayerValues {
  out: string;
  q: string;
  k: string;
  v: string; // (B, A, T, d)
  probs: string; // (B, A, T, T) softmax output (before dropout)
  context: string; // (B, T, H) heads merged
  attnLn: LayerNormValues; // after the attention residual
  ffnPre: string; // (B, T, I) x W1 + b1
  ffnAct: string; // (B, T, I) gelu
  outLn: LayerNormValues;
}

/**
 * One post-LN transformer block:
 *   q,k,v = x Wq + bq, ... -> (B, A, T, d);  s = q k^T / sqrt(d) + maskBias;  p = softmax(s) over keys
 *   x = LN(x + dropout(merge(p v) Wo + bo));  x = LN(x + dropout(gelu(x W1 + b1) W2 + b2))
 * `x` is (B, T, H); `maskBias` is (B, 1, 1, T) from emitMaskBias.
 */
export function emitLayer(
  g: GraphBuilder,
  c: BertConfig,
  p: ParamRef,
  i: number,
  x: string,
  maskBias: string,
  dropout: DropoutHook = noDropout,
): LayerValues {
  const A = c.numHeads,
    d = c.hiddenSize / c.numHeads;
  const pre = `encoder.layer.${i}`,
    h = `l${i}`;
  const splitShape = g.constant('int64', [4], [0, 0, A, d], `${h}.split_shape`); // 0 = keep B, T
  const heads = (name: string, perm: number[]): string => {
    const y = emitDense(g, x, p, `${pre}.attention.self.${name}`, `${h}.${name}`); // (B, T, H)
    const split = g.op('Reshape', [y, splitShape], {}, `${h}.${name}.split`); // (B, T, A, d)
    return g.op('Transpose', [split], { perm: attr.ints(perm) }, `${h}.${name}.heads`);
  };
  const q = heads('query', [0, 2, 1, 3]); // (B, A, T, d)
  const kT = heads('key', [0, 2, 3, 1]); // (B, A, d, T)
  const v = heads('value', [0, 2, 1, 3]); // (B, A, T, d)
  const sqrtD = g.constant('float32', [], [Math.sqrt(d)], `${h}.sqrt_d`);
  const raw = g.op('MatMul', [q, kT], {}, `${h}.scores_raw`); // (B, A, T, T)
  const scores = g.op('Add', [g.op('Div', [raw, sqrtD], {}, `${h}.scores_scaled`), maskBias], {}, `${h}.scores`);
  const probs = g.op('Softmax', [scores], { axis: attr.int(-1) }, `${h}.probs`); // (B, A, T, T)
  const ctxHeads = g.op('MatMul', [dropout(probs, `layer.${i}.attention.probs`), v], {}, `${h}.ctx_heads`); // (B, A, T, d)
  const ctxT = g.op('Transpose', [ctxHeads], { perm: attr.ints([0, 2, 1, 3]) }, `${h}.ctx_t`); // (B, T, A, d)
  const mergeShape = g.constant('int64', [3], [0, 0, c.hiddenSize], `${h}.merge_shape`);
  const context = g.op('Reshape', [ctxT, mergeShape], {}, `${h}.context`); // (B, T, H)
  const attnOut = emitDense(g, context, p, `${pre}.attention.output.dense`, `${h}.attn_out`); // (B, T, H)
  const attnRes = g.op('Add', [x, dropout(attnOut, `layer.${i}.attention.output`)], {}, `${h}.attn_res`);
  const attnLn = emitLayerNorm(
    g,
    attnRes,
    p(`${pre}.attention.output.LayerNorm.gamma`),
    p(`${pre}.attention.output.LayerNorm.beta`),
    c.layerNormEps,
    `${h}.attn_ln`,
  ); // (B, T, H)
  const ffnPre = emitDense(g, attnLn.y, p, `${pre}.intermediate.dense`, `${h}.ffn_pre`); // (B, T, I)
  const ffnAct = emitGelu(g, ffnPre, `${h}.ffn_gelu`); // (B, T, I)
  const ffnOut = emitDense(g, ffnAct, p, `${pre}.output.dense`, `${h}.ffn_out`); // (B, T, H)
  const ffnRes = g.op('Add', [attnLn.y, dropout(ffnOut, `layer.${i}.output`)], {}, `${h}.ffn_res`);
  const outLn = emitLayerNorm(
    g,
    ffnRes,
    p(`${pre}.output.LayerNorm.gamma`),
    p(`${pre}.output.LayerNorm.beta`),
    c.layerNormEps,
    `${h}.out_ln`,
  ); // (B, T, H)
  return { out: outLn.y, q, k: kT, v, probs, context, attnLn, ffnPre, ffnAct, outLn };
}

export interface EncoderInputs {
  inputIds: string;
  attentionMask: string;
  tokenTypeIds: string;
}
export interface EncoderValues {
  x: string;
  embeddings: EmbeddingValues;
  maskBias: string;
  layers: LayerValues[];
}

/** Embeddings and all L layers; returns the final hidden states x (B, T, H) and every intermediate. */
export function emitEncoder(
  g: GraphBuilder,
  c: BertConfig,
  p: ParamRef,
  inputs: EncoderInputs,
  dropout: DropoutHook = noDropout,
): EncoderValues {
  const embeddings = emitEmbeddings(g, c, p, inputs, dropout);
  const maskBias = emitMaskBias(g, inputs.attentionMask);
  const layers: LayerValues[] = [];
  let x = embeddings.x;
  for (let i = 0; i < c.numLayers; i++) {
    layers.push(emitLayer(g, c, p, i, x, maskBias, dropout));
    x = layers[i].out;
  }
  return { x, embeddings, maskBias, layers };
}

/** h = x.reshape(B*T, H)[positions]: the selected rows (N, H); positions are flat int64 b*T + t. */
export function emitGatherRows(g: GraphBuilder, c: BertConfig, x: string, positions: string): string {
  const flatShape = g.constant('int64', [2], [-1, c.hiddenSize], 'rows.flat_shape');
  const flat = g.op('Reshape', [x, flatShape], {}, 'rows.flat'); // (B*T, H)
  return g.op('Gather', [flat, positions], { axis: attr.int(0) }, 'rows'); // (N, H)
}

export interface MlmHeadValues {
  logits: string;
  pre: string;
  act: string;
  ln: LayerNormValues;
}

/**
 * t = LN(gelu(h Wt + bt));  logits = t @ word_embeddings^T + cls.predictions.bias.
 * `h` is (..., H): (N, H) rows for training, (B, T, H) for export; logits are (..., V).
 */
export function emitMlmHead(g: GraphBuilder, c: BertConfig, p: ParamRef, h: string): MlmHeadValues {
  const pre = emitDense(g, h, p, 'cls.predictions.transform.dense', 'head.pre'); // (..., H)
  const act = emitGelu(g, pre, 'head.gelu'); // (..., H)
  const ln = emitLayerNorm(
    g,
    act,
    p('cls.predictions.transform.LayerNorm.gamma'),
    p('cls.predictions.transform.LayerNorm.beta'),
    c.layerNormEps,
    'head.ln',
  ); // (..., H)
  const wordT = g.op('Transpose', [p('embeddings.word_embeddings')], { perm: attr.ints([1, 0]) }, 'head.word_t'); // (H, V)
  const scores = g.op('MatMul', [ln.y, wordT], {}, 'head.scores'); // (..., V)
  const logits = g.op('Add', [scores, p('cls.predictions.bias')], {}, 'head.logits'); // (..., V)
  return { logits, pre, act, ln };
}
