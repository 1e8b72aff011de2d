/**
 * BERT-style encoder configuration: presets and validation.
 */
import { checkInt as checkIntIn } from '../core/options/validate.js';

export interface BertConfig {
  /** Vocabulary size V (token embedding rows; MLM output width). */
  vocabSize: number;
  /** Hidden width H. */
  hiddenSize: number;
  /** Number of transformer blocks L. */
  numLayers: number;
  /** Number of attention heads A (H must be divisible by A). */
  numHeads: number;
  /** Feed-forward inner width (4H in BERT). */
  intermediateSize: number;
  /** Maximum sequence length (position embedding rows). */
  maxPositions: number;
  /** Number of segment (token type) ids. */
  typeVocabSize: number;
  /** Dropout probability on embeddings, attention probabilities and residual branches. */
  dropout: number;
  /** LayerNorm epsilon. */
  layerNormEps: number;
  /** Standard deviation of the truncated-normal weight initialisation. */
  initStd: number;
}

export type PresetName = 'tiny' | 'mini' | 'small' | 'base' | 'large';

const common = { vocabSize: 8192, maxPositions: 512, typeVocabSize: 2, dropout: 0, layerNormEps: 1e-12, initStd: 0.02 };

export const PRESETS: Record<PresetName, BertConfig> = {
  tiny: { ...common, hiddenSize: 128, numLayers: 2, numHeads: 2, intermediateSize: 512 },
  mini: { ...common, hiddenSize: 256, numLayers: 4, numHeads: 4, intermediateSize: 1024 },
  small: { ...common, hiddenSize: 512, numLayers: 4, numHeads: 8, intermediateSize: 2048 },
  base: { ...common, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072 },
  large: { ...common, hiddenSize: 1024, numLayers: 24, numHeads: 16, intermediateSize: 4096 },
};

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}

/** The preset's config with overrides applied, validated. */
export function presetConfig(name: string, overrides: Partial<BertConfig> = {}): BertConfig {
  if (!isPresetName(name)) {
    throw new Error(`unknown preset "${name}": choose one of ${Object.keys(PRESETS).join(', ')}`);
  }
  return validateConfig({ ...PRESETS[name], ...overrides });
}

function checkInt(name: string, v: number, min: number): void {
  checkIntIn(undefined, `config.${name}`, v, min);
}

/** Returns the config if valid; otherwise throws an error naming the bad value and the allowed range. */
export function validateConfig(c: BertConfig): BertConfig {
  checkInt('vocabSize', c.vocabSize, 8);
  checkInt('hiddenSize', c.hiddenSize, 1);
  checkInt('numLayers', c.numLayers, 1);
  checkInt('numHeads', c.numHeads, 1);
  checkInt('intermediateSize', c.intermediateSize, 1);
  checkInt('maxPositions', c.maxPositions, 1);
  checkInt('typeVocabSize', c.typeVocabSize, 1);
  if (c.hiddenSize % c.numHeads !== 0) {
    throw new Error(`config.hiddenSize = ${c.hiddenSize} must be divisible by config.numHeads = ${c.numHeads}`);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`config.dropout = ${c.dropout} is invalid: expected [0, 1)`);
  if (!(c.layerNormEps > 0 && c.layerNormEps < 1)) {
    throw new Error(`config.layerNormEps = ${c.layerNormEps} is invalid: expected (0, 1)`);
  }
  if (!(c.initStd > 0 && c.initStd < 1)) throw new Error(`config.initStd = ${c.initStd} is invalid: expected (0, 1)`);
  return c;
}
