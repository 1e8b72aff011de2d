/**
 * Weights to start a run from (`train --init`): an ONNX model written by `graftlr export`, or a Hugging Face
 * BERT folder (config.json + model.safetensors) written by `export --safetensors`.
 */
import * as fs from 'node:fs';
import { readFileChecked } from '../../formats/atomic.js';
import { readHfFolder } from '../../model/hf.js';
import { importOnnx } from '../../model/onnx/export.js';
import type { HostParams } from '../../core/params.js';

export function loadInitWeights(source: string): HostParams {
  if (fs.existsSync(source) && fs.statSync(source).isDirectory()) return readHfFolder(source).params;
  if (!source.endsWith('.onnx')) {
    throw new Error(`train: --init ${source}: expected a .onnx file or a folder with config.json and model.safetensors`);
  }
  return importOnnx(readFileChecked(source, 'initial weights'), source).params;
}
