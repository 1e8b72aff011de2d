/**
 * The MLM loss and its backward pass down to the final hidden states: cross-entropy over the selected
 * rows, the tied output projection, the head transform (dense, GELU, LayerNorm) and the row gather.
 */
import type { BertConfig } from '../../model/config.js';
import { emitGatherRows, emitMlmHead, type MlmHeadValues, type ParamRef } from '../../onnx/bert-graph.js';
import { attr } from '../../onnx/builder.js';
import { denseBackward, geluBackward, layerNormBackward } from './backward.js';
import type { Emitter } from './ops.js';

export interface LossValues {
  loss: string; // scalar
  accuracy: string; // scalar
  logp: string; // (N, V) log-softmax
  labelCol: string; // (N, 1) int64
}

/** loss = mean_n( logsumexp(logits_n) - logits_n[label_n] );  accuracy = mean_n(argmax(logits_n) == label_n). */
export function crossEntropy(e: Emitter, logits: string, labels: string): LossValues {
  const logp = e.op('LogSoftmax', [logits], 'ce.logp', { axis: attr.int(-1) }); // (N, V)
  const labelCol = e.unsqueeze(labels, [1], 'ce.labels'); // (N, 1)
  const picked = e.op('GatherElements', [logp, labelCol], 'ce.picked', { axis: attr.int(1) }); // (N, 1)
  const loss = e.op('Neg', [e.op('ReduceMean', [picked], 'ce.mean', { keepdims: attr.int(0) })], 'ce.loss'); // ()
  const predicted = e.op('ArgMax', [logits], 'ce.argmax', { axis: attr.int(1), keepdims: attr.int(0) }); // (N)
  const hits = e.toFloat(e.op('Equal', [predicted, labels], 'ce.equal'), 'ce.hits'); // (N)
  const accuracy = e.op('ReduceMean', [hits], 'ce.accuracy', { keepdims: attr.int(0) }); // ()
  return { loss, accuracy, logp, labelCol };
}

/** dLoss/dlogits = (softmax(logits) - onehot(labels)) / N  (N, V). */
export function crossEntropyBackward(e: Emitter, ce: LossValues, labels: string): string {
  const { logp, labelCol } = ce;
  const probs = e.op('Exp', [logp], 'ce.probs'); // softmax (N, V)
  const minusOne = e.filled(e.shape(labelCol, 'ce.label_shape'), -1, 'ce.minus_one'); // (N, 1)
  const diff = e.op('ScatterElements', [probs, labelCol, minusOne], 'ce.diff',
    { axis: attr.int(1), reduction: attr.string('add') }); // softmax - onehot (N, V)
  const invN = e.op('Reciprocal', [e.toFloat(e.shape(labels, 'ce.n'), 'ce.n_float')], 'ce.inv_n'); // (1)
  return e.mul(diff, invN, 'ce.dlogits');
}

/** Loss and accuracy only (evaluation): x (BT, H) -> selected rows -> head -> cross-entropy. */
export function headLoss(e: Emitter, c: BertConfig, p: ParamRef, x: string, positions: string, labels: string): LossValues {
  return crossEntropy(e, emitMlmHead(e.g, c, p, emitGatherRows(e.g, c, x, positions)).logits, labels);
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
 * Forward from the final hidden states x (BT, H) to the loss, and back to dx.
 *   h = x[positions] (N, H); t = LN(gelu(h Wt + bt)); logits = t E^T + bias (N, V)
 * Backward: dE_out = dlogits^T t (V, H); dt = dlogits E (N, H); dbias = sum_n dlogits;
 * then the LayerNorm, GELU and dense backward passes; dx = scatter-add of dh into zeros (BT, H).
 */
export function headForwardBackward(
  e: Emitter, c: BertConfig, p: ParamRef, x: string, positions: string, labels: string, grads: Record<string, string>,
): HeadResult {
  const h = emitGatherRows(e.g, c, x, positions); // (N, H)
  const head: MlmHeadValues = emitMlmHead(e.g, c, p, h); // logits (N, V)
  const ce = crossEntropy(e, head.logits, labels);
  const dLogits = crossEntropyBackward(e, ce, labels); // (N, V)
  const word = p('embeddings.word_embeddings');
  grads['cls.predictions.bias'] = e.reduceSum(dLogits, [0], 'gh.dbias'); // (V)
  const dWordOut = e.gemm(dLogits, head.ln.y, 'gh.dword', { transA: true }); // (V, H)
  const dT = e.gemm(dLogits, word, 'gh.dt'); // (N, H)
  const ln = layerNormBackward(e, { x: head.act, mean: head.ln.mean, invStd: head.ln.invStdDev,
    gamma: p('cls.predictions.transform.LayerNorm.gamma') }, dT, 'gh.ln'); // (N, H)
  grads['cls.predictions.transform.LayerNorm.gamma'] = ln.dGamma;
  grads['cls.predictions.transform.LayerNorm.beta'] = ln.dBeta;
  const dPre = geluBackward(e, head.pre, ln.dx, 'gh.gelu'); // (N, H)
  const dense = denseBackward(e, h, p('cls.predictions.transform.dense.kernel'), dPre, 'gh.dense');
  grads['cls.predictions.transform.dense.kernel'] = dense.dKernel;
  grads['cls.predictions.transform.dense.bias'] = dense.dBias;
  const zeros = e.filled(e.shape(x, 'gh.x_shape'), 0, 'gh.zeros'); // (BT, H)
  const rows = e.unsqueeze(positions, [1], 'gh.positions'); // (N, 1)
  const dHidden = e.op('ScatterND', [zeros, rows, dense.dx], 'gh.dhidden', { reduction: attr.string('add') }); // (BT, H)
  return { loss: ce.loss, accuracy: ce.accuracy, dHidden, dWordOut };
}
