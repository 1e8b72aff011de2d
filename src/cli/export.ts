/**
 * graftlr export --checkpoint runs/<name> --out model.onnx [--safetensors <folder>]
 */
import { exportCheckpoint } from '../run/train/export-checkpoint.js';
import { flag, UsageError } from './args.js';
import type { Command } from './command.js';
import { unusedBackendFlag } from './common.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a trained checkpoint to ONNX (and optionally a Hugging Face BertForMaskedLM folder)',
  usage: 'graftlr export --checkpoint runs/<name> --out model.onnx [--safetensors <folder>] [options]',
  details: [
    'The ONNX file takes int64 input_ids, attention_mask, token_type_ids (batch, sequence) and returns',
    'logits (batch, sequence, vocab); it runs in any onnxruntime (opset 17). The model config is stored in',
    'its metadata. --safetensors writes config.json, model.safetensors and tokenizer.json, loadable with',
    'transformers.BertForMaskedLM.from_pretrained(folder).',
    'All files are written to temporaries first and then renamed, so a killed export leaves the previous',
    'ONNX file and folder together; the next export removes the temporaries it left. A checkpoint folder,',
    'checkpoint file or tokenizer.json found inside --checkpoint that is a symbolic link is refused.',
  ].join('\n'),
  flags: {
    checkpoint: { type: 'string', help: 'run or checkpoint directory' },
    out: { type: 'string', help: 'ONNX file to write' },
    safetensors: { type: 'string', help: 'also write a Hugging Face folder here' },
    tokenizer: { type: 'string', help: 'tokenizer.json for the Hugging Face folder (default: <checkpoint>/tokenizer.json)' },
    opset: { type: 'int', help: 'ONNX opset', default: 17, min: 17, max: 21 },
    json: { type: 'boolean', help: 'print the report as JSON' },
    ...unusedBackendFlag,
  },
  async run(args, io) {
    const checkpoint = flag.str(args, 'checkpoint');
    const out = flag.str(args, 'out');
    if (!checkpoint || !out) throw new UsageError('--checkpoint and --out are required');
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    io.err('backend: none (export copies the checkpoint arrays; no tensor engine runs)');
    const r = exportCheckpoint({
      checkpoint,
      out,
      safetensors: flag.str(args, 'safetensors'),
      tokenizer: flag.str(args, 'tokenizer'),
      opset: flag.int(args, 'opset'),
    });
    for (const f of r.removedTemporaries) io.err(`removed ${f} (left by an export or write that was killed)`);
    if (flag.bool(args, 'json')) {
      io.out(
        JSON.stringify({
          onnx: r.onnxPath,
          onnxBytes: r.onnxBytes,
          step: r.step,
          parameters: r.parameters,
          config: r.config,
          hfFiles: r.hfFiles,
          tokenizer: r.tokenizer ?? null,
        }),
      );
      return 0;
    }
    io.out(`wrote ${r.onnxPath} (${(r.onnxBytes / 1e6).toFixed(1)} MB, step ${r.step}, ${r.parameters} parameters)`);
    for (const f of r.hfFiles) io.out(`wrote ${f}`);
    if (flag.str(args, 'safetensors') !== undefined && r.tokenizer === undefined) {
      io.err('note: no tokenizer.json was found to copy into the Hugging Face folder (pass --tokenizer)');
    }
    return 0;
  },
};
