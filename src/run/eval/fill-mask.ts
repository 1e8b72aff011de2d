/**
 * Fill-mask inference: the top-k tokens for every [MASK] in a text, with their probabilities.
 *
 *   ids = [CLS] tokenize(text) [SEP];  logits = model(ids) (1, T, V);  for each [MASK] at t:
 *   p = softmax(logits[0, t, :]); the k largest p, each with the text where that [MASK] is replaced.
 */
import { checkInt } from '../../core/options/validate.js';
import type { Tokenizer } from '../../data/tokenizer.js';
import type { OrtMlm } from './model.js';

export interface FillMaskPrediction {
  /** The predicted vocabulary piece (e.g. "nation" or "##s"). */
  token: string;
  id: number;
  /** softmax probability at this position. */
  score: number;
  /** The text with this [MASK] replaced by the token (other [MASK]s kept). */
  sequence: string;
}

export interface FillMaskResult {
  /** Index of the [MASK] in the encoded sequence ([CLS] is 0). */
  position: number;
  predictions: FillMaskPrediction[];
}

/** softmax of logits[offset .. offset + V) in float64. */
function softmaxRow(logits: Float32Array, offset: number, V: number): Float64Array {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v]);
  const p = new Float64Array(V);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += p[v] = Math.exp(logits[offset + v] - max);
  for (let v = 0; v < V; v++) p[v] /= sum;
  return p;
}

/** Indices of the k largest values, largest first (ties: lower index first). */
function topIndices(p: Float64Array, k: number): number[] {
  const idx = Array.from(p.keys());
  idx.sort((a, b) => p[b] - p[a] || a - b);
  return idx.slice(0, k);
}

/** Predicts every [MASK] of `text`. Throws for a tokenizer/model vocabulary mismatch or text with no [MASK]. */
export async function fillMask(model: OrtMlm, tokenizer: Tokenizer, text: string, topK = 5): Promise<FillMaskResult[]> {
  const V = model.config.vocabSize;
  if (tokenizer.vocabSize !== V) {
    throw new Error(
      `the tokenizer has ${tokenizer.vocabSize} pieces but the model's vocabulary is ${V}: pass the tokenizer.json the model was trained with`,
    );
  }
  checkInt(undefined, 'top-k', topK, 1, V);
  const ids = tokenizer.encode(text, { addSpecialTokens: true });
  const maskId = tokenizer.specialIds.mask;
  const positions = ids.flatMap((id, t) => (id === maskId ? [t] : []));
  if (positions.length === 0)
    throw new Error(`the text has no [MASK] token: write [MASK] (upper case, with brackets) where a word should be predicted`);
  const T = ids.length;
  if (T > model.config.maxPositions) {
    throw new Error(`the text encodes to ${T} tokens but the model takes at most ${model.config.maxPositions}: shorten it`);
  }
  const logits = await model.logits({
    batchSize: 1,
    seqLen: T,
    inputIds: Int32Array.from(ids),
    attentionMask: new Int32Array(T).fill(1),
    tokenTypeIds: new Int32Array(T),
  }); // (1, T, V)
  const body = (filled: number[]): string => tokenizer.decode(filled.slice(1, -1)); // without [CLS] ... [SEP]
  return positions.map((t) => {
    const p = softmaxRow(logits, t * V, V);
    const predictions = topIndices(p, topK).map((id) => {
      const filled = [...ids];
      filled[t] = id;
      return { token: tokenizer.vocab[id], id, score: p[id], sequence: body(filled) };
    });
    return { position: t, predictions };
  });
}
