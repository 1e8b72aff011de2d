/**
 * How much memory a run needs, estimated from its shapes before anything large is allocated, so that a run
 * that cannot fit (e.g. --batch-size 1000000) is refused in one line instead of being killed by the kernel
 * minutes later. Calibrated on the ort engine (peak RSS at BERT-base, batch 8 x 128: static 1.75 GiB
 * measured against 1.78 GiB estimated; the probe 2.54 GiB against 2.82 GiB): generous, never tight.
 *
 *   parameters   P floats, once, plus onnxruntime-node's copy of every output of a run: static and sgd
 *                (updated in the run) 2 P; adam, graft and the probe (gradients out, moments on the host)
 *                W + m + v + g + copy of g = 5 P; hybrid 2 P (+ small moments); the tfjs engine 4 P
 *   activations  per layer 8 BT H + 2 BT I + 3 B A T^2 floats (kept for the backward pass, with the GELU
 *                output and W_qkv recomputed), plus 1.2 BT V for the embedding gradient and the logits;
 *                twice that on the tfjs engine
 *   the rest     300 MB: Node, onnxruntime, the data
 */
import * as os from 'node:os';
import type { BertConfig } from '../../model/config.js';
import { paramShapes } from '../../model/bert.js';

export type RunKind = 'static' | 'sgd' | 'adam' | 'graft' | 'hybrid' | 'probe';

export interface RunEstimate {
  totalBytes: number;
  parameterBytes: number;
  activationBytes: number;
}

const FLOAT = 4;
const REST_BYTES = 300e6;

export function estimateRunBytes(c: BertConfig, o: { batchSize: number; seqLen: number; kind: RunKind; engine: string }): RunEstimate {
  const P = Object.values(paramShapes(c)).reduce((n, s) => n + s.reduce((a, d) => a * d, 1), 0);
  const tfjs = o.engine !== 'ort';
  const copies = tfjs ? 4 : o.kind === 'adam' || o.kind === 'graft' || o.kind === 'probe' ? 5 : 2;
  const B = o.batchSize,
    T = o.seqLen,
    BT = B * T;
  const perLayer = 8 * BT * c.hiddenSize + 2 * BT * c.intermediateSize + 3 * B * c.numHeads * T * T;
  const activations = (c.numLayers * perLayer + 1.2 * BT * c.vocabSize) * FLOAT * (tfjs ? 2 : 1);
  const parameterBytes = copies * P * FLOAT;
  return { totalBytes: parameterBytes + activations + REST_BYTES, parameterBytes, activationBytes: activations };
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Throws a one-line error when the estimate exceeds the machine's memory (`totalBytes`, default the
 * machine's). `who` names the command; the message says what to change and how to skip the check.
 */
export function checkRunFits(
  c: BertConfig,
  o: { batchSize: number; seqLen: number; kind: RunKind; engine: string },
  who: string,
  totalBytes = os.totalmem(),
): void {
  const e = estimateRunBytes(c, o);
  if (e.totalBytes <= totalBytes) return;
  throw new Error(
    `${who}: this run needs about ${gib(e.totalBytes)} (parameters and optimizer state ${gib(e.parameterBytes)}, activations ${gib(e.activationBytes)} ` +
      `at batch ${o.batchSize} x ${o.seqLen}), and this machine has ${gib(totalBytes)}: lower --batch-size or --seq-len, ` +
      'or pass --no-memory-check to try anyway',
  );
}
