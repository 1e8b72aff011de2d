/**
 * The file-level jobs behind `graftlr fill-mask` and `graftlr eval`: read the files named by the caller,
 * run onnxruntime, return results and timings (no printing).
 */
import type { BuiltInCorpus } from '../../data/corpus.js';
import { readFileChecked } from '../../formats/atomic.js';
import { parseTokenizerJson } from '../../data/tokenizer-json.js';
import { prepareData } from '../../data/prepare.js';
import { evalBatches, EVAL_SEED } from '../../data/mlm.js';
import { DATA_KEY } from '../../model/onnx/export.js';
import { fillMask, type FillMaskResult } from './fill-mask.js';
import { evaluateOrt, type OrtEvalResult } from './evaluate-ort.js';
import { loadOrtMlm, type OrtMlm } from './model.js';
import type { SessionOptions } from '../../runtime/ort.js';
import { corpusToRead, parseRecordedData, type RecordedData } from './recorded-data.js';

/** What the model file records about its training data (graftlr.data metadata, checked; empty if none). */
function recordedData(model: OrtMlm, file: string): RecordedData {
  return parseRecordedData(model.metadata[DATA_KEY], file);
}

async function loadModelFile(path: string, options: SessionOptions): Promise<OrtMlm> {
  return loadOrtMlm(readFileChecked(path, 'model'), path, options);
}

export interface FillMaskFileOptions extends SessionOptions {
  model: string;
  tokenizer: string;
  text: string;
  topK?: number;
}

export interface FillMaskReport {
  results: FillMaskResult[];
  /** Set when the text is longer than the training sequences (graftlr.data seqLen): positions beyond them were never trained. */
  warning?: string;
  /** Wall-clock ms: loading model + tokenizer, and the inference call. */
  ms: { load: number; infer: number };
}

export async function fillMaskFromFiles(options: FillMaskFileOptions): Promise<FillMaskReport> {
  const t0 = performance.now();
  const tokenizer = parseTokenizerJson(new TextDecoder().decode(readFileChecked(options.tokenizer, 'tokenizer')), options.tokenizer);
  const model = await loadModelFile(options.model, options);
  try {
    const t1 = performance.now();
    const results = await fillMask(model, tokenizer, options.text, options.topK ?? 5);
    const infer = performance.now() - t1;
    const tokens = tokenizer.encode(options.text, { addSpecialTokens: true }).length;
    const trainedSeqLen = recordedData(model, options.model).seqLen;
    const warning =
      trainedSeqLen !== undefined && tokens > trainedSeqLen
        ? `the text is ${tokens} tokens with [CLS] and [SEP], longer than the ${trainedSeqLen}-token sequences the model was trained on: positions from ${trainedSeqLen} on were never trained, so expect poor predictions`
        : undefined;
    return { results, warning, ms: { load: t1 - t0, infer } };
  } finally {
    await model.release();
  }
}

export interface EvaluateFileOptions extends SessionOptions {
  model: string;
  split?: 'heldout' | 'ood';
  /**
   * Corpus to evaluate on (default: the one the model's graftlr.data metadata names, if built in or if
   * trustModelCorpus; else "sotu" when none is recorded).
   */
  corpus?: BuiltInCorpus | string[];
  /** Read corpus file paths named by the model file (default false: such a model needs `corpus`). */
  trustModelCorpus?: boolean;
  /** Sequence length (default: the model's graftlr.data metadata, else 128, at most maxPositions). */
  seqLen?: number;
  /** Sequences per batch (default: the training run's, else 16). */
  batchSize?: number;
  /** At most this many sequences, spread evenly over the split (default: the training run's cap, else all). */
  maxSequences?: number;
  cacheDir?: string;
  onBatch?: (done: number, total: number) => void;
}

export interface EvaluateReport extends OrtEvalResult {
  split: 'heldout' | 'ood';
  corpus: BuiltInCorpus | string[];
  seqLen: number;
  sequences: number;
  batches: number;
  /** Fingerprint of the data rebuilt here, and the one recorded in the model (if any). */
  dataFingerprint: string;
  modelDataFingerprint?: string;
  ms: { data: number; eval: number };
}

export async function evaluateModelFile(options: EvaluateFileOptions): Promise<EvaluateReport> {
  const model = await loadModelFile(options.model, options);
  try {
    const meta = recordedData(model, options.model);
    const corpus = corpusToRead(options.corpus, meta.corpus, options.model, options.trustModelCorpus);
    const seqLen = options.seqLen ?? Math.min(meta.seqLen ?? 128, model.config.maxPositions);
    const split = options.split ?? 'heldout';
    // Defaults reproduce the training run's own held-out batches (same batch size, sequence cap and seed).
    const batchSize = options.batchSize ?? meta.batchSize ?? 16;
    const maxSequences = options.maxSequences ?? (meta.evalSequences ? meta.evalSequences : undefined);
    const t0 = performance.now();
    const data = prepareData({
      corpus,
      vocabSize: model.config.vocabSize,
      seqLen,
      cacheDir: options.cacheDir,
      heldoutFraction: meta.heldoutFraction,
    });
    const batches = evalBatches(data[split], batchSize, EVAL_SEED, { maxSequences });
    const t1 = performance.now();
    const result = await evaluateOrt(model, batches, options.onBatch);
    return {
      ...result,
      split,
      corpus,
      seqLen,
      batches: batches.length,
      sequences: batches.reduce((n, b) => n + b.batchSize, 0),
      dataFingerprint: data.fingerprint,
      modelDataFingerprint: meta.dataFingerprint,
      ms: { data: t1 - t0, eval: performance.now() - t1 },
    };
  } finally {
    await model.release();
  }
}
