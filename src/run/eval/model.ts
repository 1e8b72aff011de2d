/**
 * An exported MLM (graftlr ONNX file) loaded into onnxruntime: its config (from the file's metadata)
 * and a session that maps encoder inputs to full-sequence logits (B, T, V).
 */
import type { BertConfig } from '../../model/config.js';
import { checkInputs, type EncoderInputs } from '../../model/batch-check.js';
import { decodeModel, modelInfo, ONNX_OUTPUT } from '../../model/onnx/export.js';
import { OrtSession, int64Feed, type SessionOptions } from '../../runtime/ort.js';

export interface OrtMlm {
  readonly config: BertConfig;
  /** The model file's metadata_props (graftlr.config, graftlr.data, ...). */
  readonly metadata: Record<string, string>;
  readonly session: OrtSession;
  /** Logits for every position: (B, T, V) row-major. Validates ids and lengths against the config first. */
  logits(inputs: EncoderInputs): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * Loads a graftlr ONNX export from its bytes. `what` names it in errors (e.g. the file path).
 * Throws a one-line error for a file that is not such a model.
 */
export async function loadOrtMlm(bytes: Uint8Array, what = 'the model', options: SessionOptions = {}): Promise<OrtMlm> {
  const { config, metadata } = modelInfo(decodeModel(bytes, what), what);
  const session = await OrtSession.create(bytes, options, what);
  return {
    config,
    metadata,
    session,
    async logits(inputs) {
      checkInputs(config, inputs);
      const dims = [inputs.batchSize, inputs.seqLen];
      const out = await session.runFloat(
        {
          input_ids: int64Feed(inputs.inputIds, dims),
          attention_mask: int64Feed(inputs.attentionMask, dims),
          token_type_ids: int64Feed(inputs.tokenTypeIds, dims),
        },
        ONNX_OUTPUT,
      ); // (B, T, V)
      return out.data;
    },
    release: () => session.release(),
  };
}
