/**
 * Forward and backward of the whole model as ONNX ops: emits the MLM loss, the accuracy and the gradient
 * of every parameter into a GraphBuilder. Graph inputs (declared here):
 *   input_ids, attention_mask, token_type_ids (B, T) int64; masked_positions, masked_labels (N) int64;
 *   every parameter as a float32 input named like the parameter;
 *   in training graphs with config.dropout > 0, the keep-masks `dropout.<site>` (see dropout.ts).
 */
import { validateConfig, type BertConfig } from '../../model/config.js';
import { emitEmbeddings, emitMaskBias, type ParamRef } from '../../model/onnx/bert-graph.js';
import { addParamInputs, paramShapes } from '../../model/onnx/bert-params.js';
import { layerNormBackward } from './backward.js';
import { addMaskInputs, type DropoutMasks } from './dropout.js';
import { headForwardBackward, headLoss } from './head.js';
import { layerBackward, layerForward, type HeadShapes, type LayerSaved } from './layer.js';
import type { Emitter } from './ops.js';

export const BATCH_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids', 'masked_positions', 'masked_labels'] as const;

export interface LossAndGradValues {
  loss: string;
  accuracy: string;
  /** parameter name -> value name of its gradient (every parameter). */
  grads: Record<string, string>;
  params: ParamRef;
}

/** Throws naming the bad value unless the config is valid. */
export function checkOrtConfig(c: BertConfig): void {
  validateConfig(c);
}

export interface EncoderForward {
  inputs: { inputIds: string; tokenTypeIds: string; positions: string; labels: string };
  p: ParamRef;
  emb: ReturnType<typeof emitEmbeddings>;
  bt: string; // [B, T]
  shapes: HeadShapes;
  saved: LayerSaved[];
  /** Final hidden states (BT, H). */
  x: string;
  masks?: DropoutMasks;
}

/**
 * Declares the batch and parameter inputs and emits embeddings and all layers, keeping activations.
 * `training` with config.dropout > 0 adds the dropout keep-masks as inputs and applies them.
 */
export function emitEncoderForward(e: Emitter, c: BertConfig, training: boolean): EncoderForward {
  checkOrtConfig(c);
  const g = e.g,
    H = c.hiddenSize,
    A = c.numHeads;
  const inputIds = g.input('input_ids', 'int64', ['B', 'T']);
  const attentionMask = g.input('attention_mask', 'int64', ['B', 'T']);
  const tokenTypeIds = g.input('token_type_ids', 'int64', ['B', 'T']);
  const positions = g.input('masked_positions', 'int64', ['N']);
  const labels = g.input('masked_labels', 'int64', ['N']);
  const p = addParamInputs(g, c);
  const masks = training && c.dropout > 0 ? addMaskInputs(g, c) : undefined;
  const emb = emitEmbeddings(g, c, p, { inputIds, tokenTypeIds }); // x (B, T, H)
  const maskBias = emitMaskBias(g, attentionMask); // (B, 1, 1, T)
  const bt = e.shape(inputIds, 'shape.bt'); // [B, T]
  const shapes: HeadShapes = {
    qkv5: e.concat([bt, e.ints([3, A, H / A])], 0, 'shape.qkv5'),
    heads4: e.concat([bt, e.ints([A, H / A])], 0, 'shape.heads4'),
  };
  const x0 = e.reshape(emb.x, [-1, H], 'emb.x2d'); // (BT, H)
  let x = masks ? e.mul(x0, masks.embeddings, 'emb.kept') : x0; // dropout
  const saved: LayerSaved[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    saved.push(layerForward(e, c, p, i, x, maskBias, shapes, masks?.layers[i]));
    x = saved[i].outLn.y;
  }
  return { inputs: { inputIds, tokenTypeIds, positions, labels }, p, emb, bt, shapes, saved, x, masks };
}

/** Loss and accuracy only (the evaluation graph's body). */
export function emitLoss(e: Emitter, c: BertConfig): { loss: string; accuracy: string } {
  const f = emitEncoderForward(e, c, false);
  const ce = headLoss(e, c, f.p, f.x, f.inputs.positions, f.inputs.labels);
  return { loss: ce.loss, accuracy: ce.accuracy };
}

export function emitLossAndGrads(e: Emitter, c: BertConfig): LossAndGradValues {
  const f = emitEncoderForward(e, c, true);
  const { p, emb, shapes, saved, x, masks } = f;
  const { inputIds, tokenTypeIds, positions, labels } = f.inputs;
  const H = c.hiddenSize;
  const grads: Record<string, string> = {};
  const head = headForwardBackward(e, c, p, x, positions, labels, grads);

  // Backward through the layers, last to first.
  let dx = head.dHidden; // (BT, H)
  for (let i = c.numLayers - 1; i >= 0; i--) dx = layerBackward(e, c, p, i, saved[i], dx, shapes, grads);

  // Embeddings: x0 = dropout(LN(sum)), sum = word[ids] + pos[0..T) + type[tt].
  if (masks) dx = e.mul(dx, masks.embeddings, 'ge.dx_kept');
  const ln = layerNormBackward(
    e,
    {
      x: e.reshape(emb.sum, [-1, H], 'ge.sum2d'),
      mean: e.reshape(emb.ln.mean, [-1, 1], 'ge.mean2d'),
      invStd: e.reshape(emb.ln.invStdDev, [-1, 1], 'ge.inv2d'),
      gamma: p('embeddings.LayerNorm.gamma'),
    },
    dx,
    'BT',
    'ge.ln',
  ); // dSum (BT, H)
  grads['embeddings.LayerNorm.gamma'] = ln.dGamma;
  grads['embeddings.LayerNorm.beta'] = ln.dBeta;
  // Word embeddings get both paths: the tied output projection and the input lookup (scatter-add by id,
  // deterministic: Emitter.scatterAddRows).
  const ids = e.reshape(inputIds, [-1, 1], 'ge.ids'); // (BT, 1)
  grads['embeddings.word_embeddings'] = e.scatterAddRows(head.dWordOut, ids, ln.dx, 'ge.dword'); // (V, H)
  const types = e.reshape(tokenTypeIds, [-1, 1], 'ge.types'); // (BT, 1)
  const typeZeros = e.filled(e.shape(p('embeddings.token_type_embeddings'), 'ge.type_shape'), 0, 'ge.type_zeros');
  grads['embeddings.token_type_embeddings'] = e.scatterAddRows(typeZeros, types, ln.dx, 'ge.dtype'); // (typeVocab, H)
  // Positions 0..T-1 are used once per sequence: dpos[t] = sum_b dSum[b, t]; rows T..P-1 get 0.
  const dSumB = e.reshape(ln.dx, e.concat([e.shape(inputIds, 'ge.b', 0, 1), e.ints([-1])], 0, 'shape.b_rest'), 'ge.dsum_b'); // (B, T H)
  const dPosUsed = e.reshape(e.sumRows(dSumB, 'B', 'ge.dpos_flat'), [-1, H], 'ge.dpos_used'); // (T, H)
  const padRows = e.sub(e.ints([c.maxPositions]), e.shape(inputIds, 'ge.t', 1, 2), 'ge.pad_rows'); // [P - T]
  const pads = e.concat([e.ints([0, 0]), padRows, e.ints([0])], 0, 'ge.pads'); // [0, 0, P - T, 0]
  grads['embeddings.position_embeddings'] = e.op('Pad', [dPosUsed, pads], 'ge.dpos'); // (P, H)

  const missing = Object.keys(paramShapes(c)).filter((n) => !(n in grads));
  if (missing.length > 0) throw new Error(`internal: no gradient emitted for ${missing.join(', ')}`);
  return { loss: head.loss, accuracy: head.accuracy, grads, params: p };
}
