/**
 * Parity of the exported ONNX model (onnxruntime) with the tfjs reference model (cpu backend), for the
 * `tiny` and `mini` architectures (vocabulary and positions shrunk for speed), on real text:
 * full-sequence logits on a padded batch, and held-out loss/accuracy on packed, masked batches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadMobyDick } from '../../../src/data/corpus.js';
import { evalBatches } from '../../../src/data/mlm.js';
import { normalize } from '../../../src/data/normalize.js';
import { joinDocuments, packSequences } from '../../../src/data/pack.js';
import type { Tokenizer } from '../../../src/data/tokenizer.js';
import { trainWordPiece } from '../../../src/data/wordpiece-train.js';
import { encode, evaluate, mlmLogits } from '../../../src/model/bert.js';
import { presetConfig } from '../../../src/model/config.js';
import { fromHost, disposeParams } from '../../../src/core/params.js';
import { evaluateOrt } from '../../../src/run/eval/evaluate-ort.js';
import { loadOrtMlm } from '../../../src/run/eval/model.js';
import { exportOnnx } from '../../../src/model/onnx/export.js';
import { randomHostParams } from './reference.js';

let tokenizer: Tokenizer;
let texts: string[];
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  texts = loadMobyDick()
    .slice(1, 4)
    .map((d) => normalize(d.text)); // three early chapters, ~20k characters
  tokenizer = trainWordPiece(texts, { vocabSize: 400 });
});

/** Sentences of different lengths as [CLS] ... [SEP] rows padded with [PAD] (attention mask 0). */
function paddedBatch(sentences: string[]) {
  const rows = sentences.map((s) => tokenizer.encode(s, { addSpecialTokens: true }));
  const T = Math.max(...rows.map((r) => r.length));
  const B = rows.length;
  const inputIds = new Int32Array(B * T),
    attentionMask = new Int32Array(B * T);
  rows.forEach((r, b) =>
    r.forEach((id, t) => {
      inputIds[b * T + t] = id;
      attentionMask[b * T + t] = 1;
    }),
  );
  return { batchSize: B, seqLen: T, inputIds, attentionMask, tokenTypeIds: new Int32Array(B * T) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(['tiny', 'mini'] as const)('ONNX export vs tfjs model: %s', (preset) => {
  it('has the same full-sequence logits on a padded batch (max abs diff <= 1e-4)', async () => {
    const config = presetConfig(preset, { vocabSize: tokenizer.vocabSize, maxPositions: 64 });
    const host = randomHostParams(config, 3, 0.1);
    const batch = paddedBatch([
      'Call me Ishmael.',
      'Some years ago, never mind how long precisely, having little or no money in my purse, I thought I would sail about.',
      'It is a way I have of driving off the spleen.',
      'Whenever it is a damp, drizzly November in my soul.',
    ]);
    const { batchSize: B, seqLen: T } = batch;
    const params = fromHost(host);
    const before = tf.memory().numTensors;
    const logitsT = tf.tidy(() => {
      const x = tf.reshape(encode(params, config, batch, { training: false }), [B * T, config.hiddenSize]) as tf.Tensor2D;
      return mlmLogits(params, config, x); // (B T, V)
    });
    const want = logitsT.dataSync();
    logitsT.dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeParams(params);

    const model = await loadOrtMlm(exportOnnx(config, host), `${preset}.onnx`, { threads: 1 });
    const got = await model.logits(batch); // (B, T, V)
    await model.release();
    expect(got.length).toBe(want.length);
    const diff = maxAbsDiff(got, want);
    expect(diff).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(want, new Float32Array(want.length))).toBeGreaterThan(0.5); // the logits are not all ~0
  });

  it('has the same held-out loss and accuracy as the tfjs evaluate (within 1e-4)', async () => {
    const config = presetConfig(preset, { vocabSize: tokenizer.vocabSize, maxPositions: 64 });
    const host = randomHostParams(config, 4, 0.1);
    const stream = joinDocuments(
      texts.map((t) => tokenizer.encodeNormalized(t)),
      tokenizer.specialIds.sep,
    );
    const sequences = packSequences(stream, { seqLen: 32, vocabSize: tokenizer.vocabSize, specialIds: tokenizer.specialIds });
    const batches = evalBatches(sequences, 4, 11, { maxSequences: 8 });
    const params = fromHost(host);
    const want = evaluate(params, config, batches);
    disposeParams(params);
    const model = await loadOrtMlm(exportOnnx(config, host), `${preset}.onnx`, { threads: 1 });
    const got = await evaluateOrt(model, batches);
    await model.release();
    expect(got.tokens).toBe(want.tokens);
    expect(got.tokens).toBeGreaterThan(20);
    expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-4);
    expect(got.accuracy).toBeCloseTo(want.accuracy, 6);
  });
});
