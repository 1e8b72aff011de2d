/**
 * `graftlr export`: a training checkpoint -> model.onnx (+ optionally a Hugging Face folder).
 * Reads the checkpoint, writes the files atomically, and returns what it did (no printing).
 *
 * The ONNX file's metadata records, besides the model config, the data the model was trained on
 * (`graftlr.data`: corpus, seqLen, heldoutFraction, batchSize, evalSequences, dataFingerprint, as far
 * as the checkpoint's run options say), so that `graftlr eval` rebuilds the same tokenizer and the same
 * held-out batches as the training run's own evaluation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../train/checkpoint.js';
import type { BertConfig } from '../model/config.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeHfFolder } from '../io/hf.js';
import { DATA_KEY, exportOnnx } from './export.js';

export interface ExportCheckpointOptions {
  /** A run directory or checkpoint directory (see src/train/checkpoint.ts). */
  checkpoint: string;
  /** Path of the .onnx file to write. */
  out: string;
  /** Folder for a Hugging Face BertForMaskedLM export (config.json, model.safetensors, tokenizer.json). */
  safetensors?: string;
  /** tokenizer.json for the Hugging Face folder (default: the run's tokenizer.json, next to or above the checkpoint). */
  tokenizer?: string;
  opset?: number;
}

export interface ExportReport {
  config: BertConfig;
  step: number;
  /** Parameter count (scalars). */
  parameters: number;
  onnxPath: string;
  onnxBytes: number;
  /** Files written into the Hugging Face folder (empty without --safetensors). */
  hfFiles: string[];
  /** The tokenizer.json copied into the Hugging Face folder, if any. */
  tokenizer?: string;
}

/** The data description stored in the ONNX metadata: what the checkpoint's run options say. */
export function dataMetadata(run: Record<string, unknown>, dataFingerprint: string): Record<string, unknown> {
  const out: Record<string, unknown> = { dataFingerprint };
  for (const key of ['corpus', 'seqLen', 'vocabSize', 'heldoutFraction', 'batchSize', 'evalSequences']) if (run[key] !== undefined) out[key] = run[key];
  return out;
}

export function exportCheckpoint(options: ExportCheckpointOptions): ExportReport {
  const ckpt = loadCheckpoint(options.checkpoint);
  const { config } = ckpt.model;
  const metadata = { [DATA_KEY]: JSON.stringify(dataMetadata(ckpt.run, ckpt.dataFingerprint)) };
  const bytes = exportOnnx(config, ckpt.params, { opset: options.opset, metadata });
  writeFileAtomic(options.out, bytes);
  let hfFiles: string[] = [];
  let tokenizer: string | undefined;
  if (options.safetensors !== undefined) {
    const candidates = [join(options.checkpoint, 'tokenizer.json'), join(options.checkpoint, '..', 'tokenizer.json')];
    tokenizer = options.tokenizer ?? candidates.find((f) => existsSync(f));
    if (tokenizer !== undefined && !existsSync(tokenizer)) throw new Error(`tokenizer ${tokenizer} does not exist: pass the tokenizer.json the model was trained with`);
    const tokenizerJson = tokenizer === undefined ? undefined : readFileSync(tokenizer, 'utf8');
    hfFiles = writeHfFolder(options.safetensors, config, ckpt.params, tokenizerJson);
  }
  const parameters = Object.values(ckpt.params).reduce((n, p) => n + p.data.length, 0);
  return { config, step: ckpt.step, parameters, onnxPath: options.out, onnxBytes: bytes.length, hfFiles, tokenizer };
}
