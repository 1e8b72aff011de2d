/**
 * Graph feeds of the ort engine: the batch as int64 tensors, parameters as float32 tensors that borrow
 * the host arrays (no copy).
 */
import type { MlmBatch } from '../../data/batch.js';
import { float32Feed, int64Feed, type Feed } from '../../runtime/ort.js';
import { checkBatch } from '../../model/batch-check.js';
import type { BertConfig } from '../../model/config.js';
import type { HostParams } from '../../core/params.js';

/**
 * The five batch inputs, after the model's own batch checks (lengths, id ranges, seqLen <= maxPositions).
 * Throws when the batch selects no position (the mean loss would be 0/0).
 */
export function batchFeeds(c: BertConfig, batch: MlmBatch): Record<string, Feed> {
  const { batchSize: B, seqLen: T } = batch;
  const n = batch.maskedPositions.length;
  if (n === 0) throw new Error('the batch has no masked positions: the MLM loss needs at least one selected token');
  checkBatch(c, batch);
  return {
    input_ids: int64Feed(batch.inputIds, [B, T]),
    attention_mask: int64Feed(batch.attentionMask, [B, T]),
    token_type_ids: int64Feed(batch.tokenTypeIds, [B, T]),
    masked_positions: int64Feed(batch.maskedPositions, [n]),
    masked_labels: int64Feed(batch.maskedLabels, [n]),
  };
}

/** Every parameter as a float32 feed named like the parameter; borrows the arrays. */
export function paramFeeds(params: HostParams, out: Record<string, Feed> = {}): Record<string, Feed> {
  for (const [name, p] of Object.entries(params)) out[name] = float32Feed(p.data, p.shape);
  return out;
}
