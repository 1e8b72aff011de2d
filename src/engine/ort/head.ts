/**
 * The MLM loss and its backward pass down to the final hidden states: cross-entropy over the selected
 * rows, the tied output projection, the head transform (dense, GELU, LayerNorm) and the row gather.
 * Same arithmetic as src/model/onnx/bert-graph.ts emitMlmHead, with the tied projection as one Gemm with
 * transB (no transposed copy of the word embeddings).
 */
import type { BertConfig } from '../../model/config.js';
import { emitGatherRows, emitLayerNorm, type LayerNormValues, type ParamRef } from '../../model/onnx/bert-graph.js';
import { attr } from '../../formats/onnx-builder.js';
import { denseBackward, geluBackward, layerNormBackward } from './backward.js';
import type { Emitter } from './ops.js';

export interface HeadForward {
  h: string; // (N, H) selected rows
  pre: string; // (N, H) h Wt + bt
  act: string; // (N, H) gelu(pre)
  ln: LayerNormValues; // t = ln.y (N, H)
  logits: string; // (N, V)
}

/** h = x[positions]; t = LN(gelu(h Wt + bt)); logits = t E^T + b_cls. */
export function headForward(e: Emitter, c: BertConfig, p: ParamRef, x: string, positions: string): HeadForward {
  const h = emitGatherRows(e.g, c, x, positions); // (N, H)
  const pre = e.gemm(h, p('cls.predictions.transform.dense.kernel'), 'head.pre', { bias: p('cls.predictions.transform.dense.bias') });
  const act = e.op('Gelu', [pre], 'head.gelu'); // (N, H)
  const ln = emitLayerNorm(
    e.g,
    act,
    p('cls.predictions.transform.LayerNorm.gamma'),
    p('cls.predictions.transform.LayerNorm.beta'),
    c.layerNormEps,
    'head.ln',
  ); // (N, H)
  const logits = e.gemm(ln.y, p('embeddings.word_embeddings'), 'head.logits', { transB: true, bias: p('cls.predictions.bias') }); // (N, V)
  return { h, pre, act, ln, logits };
}

export interface LossValues {
  loss: string; // scalar
  accuracy: string; // scalar
  logp: string; // (N, V) log-softmax
  labelCol: string; // (N, 1) int64
}

/**
 * loss = mean_n( logsumexp(logits_n) - logits_n[label_n] );  accuracy = mean_n(logits_n[label_n] == max_v logits_n).
 * The accuracy is argmax == label except on exact ties for the maximum (then any tied label counts);
 * ArgMax itself runs single-threaded and is ~15x slower than ReduceMax on (N, V).
 */
export function crossEntropy(e: Emitter, logits: string, labels: string): LossValues {
  const logp = e.op('LogSoftmax', [logits], 'ce.logp', { axis: attr.int(-1) }); // (N, V)
  const labelCol = e.unsqueeze(labels, [1], 'ce.labels'); // (N, 1)
  const picked = e.op('GatherElements', [logp, labelCol], 'ce.picked', { axis: attr.int(1) }); // (N, 1)
  const loss = e.op('Neg', [e.op('ReduceMean', [picked], 'ce.mean', { keepdims: attr.int(0) })], 'ce.loss'); // ()
  const best = e.op('ReduceMax', [logp, e.ints([1])], 'ce.best', { keepdims: attr.int(1) }); // (N, 1)
  const hits = e.toFloat(e.op('GreaterOrEqual', [picked, best], 'ce.hit'), 'ce.hits'); // (N, 1)
  const accuracy = e.op('ReduceMean', [hits], 'ce.accuracy', { keepdims: attr.int(0) }); // ()
  return { loss, accuracy, logp, labelCol };
}

/**
 * N * dLoss/dlogits = softmax(logits) - onehot(labels)  (N, V), and 1/N as a (1) value: the caller
 * applies 1/N to the smaller tensors downstream instead of to this (N, V) one.
 */
export function crossEntropyBackward(e: Emitter, ce: LossValues, labels: string): { diff: string; invN: string } {
  const probs = e.op('Exp', [ce.logp], 'ce.probs'); // softmax (N, V)
  const minusOne = e.filled(e.shape(ce.labelCol, 'ce.label_shape'), -1, 'ce.minus_one'); // (N, 1)
  const diff = e.op('ScatterElements', [probs, ce.labelCol, minusOne], 'ce.diff', { axis: attr.int(1), reduction: attr.string('add') }); // softmax - onehot (N, V)
  const invN = e.op('Reciprocal', [e.toFloat(e.shape(labels, 'ce.n'), 'ce.n_float')], 'ce.inv_n'); // (1)
  return { diff, invN };
}

/** Loss and accuracy only (evaluation): x (BT, H) -> selected rows -> head -> cross-entropy. */
export function headLoss(e: Emitter, c: BertConfig, p: ParamRef, x: string, positions: string, labels: string): LossValues {
  return crossEntropy(e, headForward(e, c, p, x, positions).logits, labels);
}

export interface HeadResult {
  loss: string;
  accuracy: string;
  /** dLoss/dx for the final hidden states (BT, H) (zero outside the selected rows). */
  dHidden: string;
  /** Gradient reaching the word embeddings through the tied output projection (V, H). */
  dWordOut: string;
}

/**
 * Forward from the final hidden states x (BT, H) to the loss, and back to dx. With D = N dlogits:
 *   dE_out = D^T (t / N) (V, H);  dt = (D E) / N (N, H);  dbias = sum_n D / N (V)
 * then the LayerNorm, GELU and dense backward passes; dx = scatter-add of dh into zeros (BT, H).
 */
export function headForwardBackward(
  e: Emitter,
  c: BertConfig,
  p: ParamRef,
  x: string,
  positions: string,
  labels: string,
  grads: Record<string, string>,
): HeadResult {
  const head = headForward(e, c, p, x, positions);
  const ce = crossEntropy(e, head.logits, labels);
  const { diff, invN } = crossEntropyBackward(e, ce, labels); // (N, V), (1)
  grads['cls.predictions.bias'] = e.mul(e.sumRows(diff, 'N', 'gh.sum_diff'), invN, 'gh.dbias'); // (V)
  const tScaled = e.mul(head.ln.y, invN, 'gh.t_scaled'); // (N, H)
  const dWordOut = e.gemm(diff, tScaled, 'gh.dword', { transA: true }); // (V, H)
  const dT = e.mul(e.gemm(diff, p('embeddings.word_embeddings'), 'gh.dt_sum'), invN, 'gh.dt'); // (N, H)
  const ln = layerNormBackward(
    e,
    { x: head.act, mean: head.ln.mean, invStd: head.ln.invStdDev, gamma: p('cls.predictions.transform.LayerNorm.gamma') },
    dT,
    'N',
    'gh.ln',
  ); // (N, H)
  grads['cls.predictions.transform.LayerNorm.gamma'] = ln.dGamma;
  grads['cls.predictions.transform.LayerNorm.beta'] = ln.dBeta;
  const dPre = geluBackward(e, head.pre, e.mul(ln.dx, e.scalar(0.5), 'gh.half_dact'), 'gh.gelu'); // (N, H)
  const dense = denseBackward(e, head.h, p('cls.predictions.transform.dense.kernel'), dPre, 'N', 'gh.dense');
  grads['cls.predictions.transform.dense.kernel'] = dense.dKernel;
  grads['cls.predictions.transform.dense.bias'] = dense.dBias;
  const zeros = e.filled(e.shape(x, 'gh.x_shape'), 0, 'gh.zeros'); // (BT, H)
  const rows = e.unsqueeze(positions, [1], 'gh.positions'); // (N, 1)
  const dHidden = e.op('ScatterND', [zeros, rows, dense.dx], 'gh.dhidden', { reduction: attr.string('add') }); // (BT, H)
  return { loss: ce.loss, accuracy: ce.accuracy, dHidden, dWordOut };
}
