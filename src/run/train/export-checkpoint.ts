/**
 * `graftlr export`: a training checkpoint -> model.onnx (+ optionally a Hugging Face folder).
 * Reads the checkpoint, writes the files atomically, and returns what it did (no printing).
 *
 * The ONNX file's metadata records, besides the model config, the data the model was trained on
 * (`graftlr.data`: corpus, seqLen, heldoutFraction, batchSize, evalSequences, dataFingerprint, as far
 * as the checkpoint's run options say), so that `graftlr eval` rebuilds the same tokenizer and the same
 * held-out batches as the training run's own evaluation.
 *
 * The ONNX file and the Hugging Face folder are written together (src/formats/file-set.ts): a kill while
 * exporting leaves both at the previous export, not the ONNX file at the new step and the folder at the
 * old one; temporaries a killed export left behind are removed by the next one.
 *
 * Only the run's own files are read: a `checkpoint` folder, checkpoint file or tokenizer.json that export
 * finds by itself and that is a symbolic link is refused (it could point anywhere, and its target would be
 * copied into the export). A path the user names (--checkpoint, --tokenizer) is taken as given.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILE, loadCheckpoint } from './checkpoint.js';
import type { BertConfig } from '../../model/config.js';
import { writeFilesTogether } from '../../formats/file-set.js';
import { hfFolderFiles } from '../../model/hf.js';
import { DATA_KEY, exportOnnx } from '../../model/onnx/export.js';

export interface ExportCheckpointOptions {
  /** A run directory or checkpoint directory (see src/run/train/checkpoint.ts). */
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
  /** Temporaries of earlier, killed exports that were removed. */
  removedTemporaries: string[];
}

/** Throws if `file`, found by export itself (`what`), is a symbolic link; `remedy` says how to use it anyway. */
function refuseLink(file: string, what: string, remedy: string): void {
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new Error(`${file} is a symbolic link (to ${readlinkSync(file)}): export reads only the run's own ${what}; ${remedy}`);
  }
}

/** The data description stored in the ONNX metadata: what the checkpoint's run options say. */
export function dataMetadata(run: Record<string, unknown>, dataFingerprint: string): Record<string, unknown> {
  const out: Record<string, unknown> = { dataFingerprint };
  for (const key of ['corpus', 'seqLen', 'vocabSize', 'heldoutFraction', 'batchSize', 'evalSequences'])
    if (run[key] !== undefined) out[key] = run[key];
  return out;
}

export function exportCheckpoint(options: ExportCheckpointOptions): ExportReport {
  const named = 'name the real folder with --checkpoint if you mean it';
  refuseLink(join(options.checkpoint, CHECKPOINT_FILE), 'checkpoint', named);
  refuseLink(join(options.checkpoint, 'checkpoint'), 'checkpoint folder', named);
  refuseLink(join(options.checkpoint, 'checkpoint', CHECKPOINT_FILE), 'checkpoint', named);
  const ckpt = loadCheckpoint(options.checkpoint);
  const { config } = ckpt.model;
  const metadata = { [DATA_KEY]: JSON.stringify(dataMetadata(ckpt.run, ckpt.dataFingerprint)) };
  const bytes = exportOnnx(config, ckpt.params, { opset: options.opset, metadata });
  const hf: Record<string, Uint8Array | string> = {};
  let tokenizer: string | undefined;
  if (options.safetensors !== undefined) {
    tokenizer = options.tokenizer ?? findRunTokenizer(options.checkpoint);
    if (tokenizer !== undefined && !existsSync(tokenizer))
      throw new Error(`tokenizer ${tokenizer} does not exist: pass the tokenizer.json the model was trained with`);
    const tokenizerJson = tokenizer === undefined ? undefined : readFileSync(tokenizer, 'utf8');
    for (const [name, data] of Object.entries(hfFolderFiles(config, ckpt.params, tokenizerJson)))
      hf[join(options.safetensors, name)] = data;
  }
  const removedTemporaries = writeFilesTogether({ ...hf, [options.out]: bytes });
  const hfFiles = Object.keys(hf);
  const parameters = Object.values(ckpt.params).reduce((n, p) => n + p.data.length, 0);
  return { config, step: ckpt.step, parameters, onnxPath: options.out, onnxBytes: bytes.length, hfFiles, tokenizer, removedTemporaries };
}

/** The run's tokenizer.json, next to or above the checkpoint (not a symbolic link); undefined if none. */
function findRunTokenizer(checkpoint: string): string | undefined {
  const found = [join(checkpoint, 'tokenizer.json'), join(checkpoint, '..', 'tokenizer.json')].find((f) => existsSync(f));
  if (found !== undefined) refuseLink(found, 'tokenizer', 'pass --tokenizer <file> to copy that file');
  return found;
}
