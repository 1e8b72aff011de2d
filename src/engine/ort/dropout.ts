/**
 * Dropout in the ort training graphs: the keep-masks are graph inputs, drawn in JS by the model's own
 * keepMaskValues (rng(seed, 'dropout', step, site), inverted scaling), so both engines use identical masks.
 * Sites (src/model/dropout.ts): 'embeddings' (BT, H); per layer i 'layer.{i}.attention.probs' (B, A, T, T),
 * 'layer.{i}.attention.output' (BT, H), 'layer.{i}.output' (BT, H).
 */
import type { MlmBatch } from '../../data/batch.js';
import { float32Feed, type Feed } from '../../runtime/ort.js';
import type { BertConfig } from '../../model/config.js';
import { keepMaskValues } from '../../model/dropout.js';
import type { Dim, GraphBuilder } from '../../formats/onnx-builder.js';

/** The graph input holding a site's keep-mask. */
export const maskInput = (site: string): string => `dropout.${site}`;

export interface LayerMasks {
  probs: string;
  attnOut: string;
  out: string;
}
export interface DropoutMasks {
  embeddings: string;
  layers: LayerMasks[];
}

/** Site name -> dims (symbolic 'BT', 'B', 'T' and the fixed sizes), in a fixed order. */
function sites(c: BertConfig): [string, Dim[]][] {
  const H = c.hiddenSize;
  const out: [string, Dim[]][] = [['embeddings', ['BT', H]]];
  for (let i = 0; i < c.numLayers; i++) {
    out.push([`layer.${i}.attention.probs`, ['B', c.numHeads, 'T', 'T']]);
    out.push([`layer.${i}.attention.output`, ['BT', H]]);
    out.push([`layer.${i}.output`, ['BT', H]]);
  }
  return out;
}

/** Declares every keep-mask as a float32 graph input. */
export function addMaskInputs(g: GraphBuilder, c: BertConfig): DropoutMasks {
  for (const [site, dims] of sites(c)) g.input(maskInput(site), 'float32', dims);
  const layers: LayerMasks[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    layers.push({
      probs: maskInput(`layer.${i}.attention.probs`),
      attnOut: maskInput(`layer.${i}.attention.output`),
      out: maskInput(`layer.${i}.output`),
    });
  }
  return { embeddings: maskInput('embeddings'), layers };
}

/** The keep-masks of one training step as feeds (only when config.dropout > 0). */
export function dropoutFeeds(
  c: BertConfig,
  batch: MlmBatch,
  seed: number,
  step: number,
  out: Record<string, Feed> = {},
): Record<string, Feed> {
  const { batchSize: B, seqLen: T } = batch;
  const size = { BT: B * T, B, T } as Record<string, number>;
  for (const [site, dims] of sites(c)) {
    const shape = dims.map((d) => (typeof d === 'number' ? d : size[d]));
    const values = keepMaskValues(
      { p: c.dropout, seed, step },
      site,
      shape.reduce((a, b) => a * b, 1),
    );
    out[maskInput(site)] = float32Feed(values, shape);
  }
  return out;
}
