/**
 * Groupings of the model's parameters: the units over which grafting measures step norms.
 * The only place that parses parameter names.
 *
 *   tensor  one group per parameter tensor (the paper's "layer-wise" grafting)
 *   block   'embeddings' | 'encoder.layer.{i}' | 'cls' (the MLM head)
 *   type    by what the parameter does, across layers:
 *             'embedding'              word, position and token-type tables
 *             'attention.qk.kernel'    query and key projections
 *             'attention.v.kernel'     value projection
 *             'attention.out.kernel'   attention output projection
 *             'ffn.in.kernel'          feed-forward expansion (H -> I)
 *             'ffn.out.kernel'         feed-forward contraction (I -> H)
 *             'head.kernel'            MLM head transform
 *             'layernorm'              every LayerNorm gamma and beta
 *             'bias'                   every dense bias, including the MLM output bias
 *   global  one group for everything
 */
import type { GroupOf } from '../core/params.js';

export const groupingNames = ['tensor', 'block', 'type', 'global'] as const;
export type GroupingName = (typeof groupingNames)[number];

export function isGroupingName(name: string): name is GroupingName {
  return (groupingNames as readonly string[]).includes(name);
}

const unknown = (name: string) => new Error(`parameter "${name}" is not a parameter of the BERT model: no group for it`);

function blockOf(name: string): string {
  if (name.startsWith('embeddings.')) return 'embeddings';
  if (name.startsWith('cls.')) return 'cls';
  const m = /^encoder\.layer\.(\d+)\./.exec(name);
  if (m) return `encoder.layer.${m[1]}`;
  throw unknown(name);
}

/** Suffix (after the block prefix) -> type group; checked in order, first match wins. */
const typeRules: [RegExp, string][] = [
  [/^embeddings\.(word|position|token_type)_embeddings$/, 'embedding'],
  [/\.LayerNorm\.(gamma|beta)$/, 'layernorm'],
  [/\.bias$/, 'bias'],
  [/^encoder\.layer\.\d+\.attention\.self\.(query|key)\.kernel$/, 'attention.qk.kernel'],
  [/^encoder\.layer\.\d+\.attention\.self\.value\.kernel$/, 'attention.v.kernel'],
  [/^encoder\.layer\.\d+\.attention\.output\.dense\.kernel$/, 'attention.out.kernel'],
  [/^encoder\.layer\.\d+\.intermediate\.dense\.kernel$/, 'ffn.in.kernel'],
  [/^encoder\.layer\.\d+\.output\.dense\.kernel$/, 'ffn.out.kernel'],
  [/^cls\.predictions\.transform\.dense\.kernel$/, 'head.kernel'],
];

function typeOf(name: string): string {
  blockOf(name); // rejects names outside the model
  for (const [re, group] of typeRules) if (re.test(name)) return group;
  throw unknown(name);
}

/** The GroupOf function of a grouping. Throws for an unknown grouping name. */
export function makeGroupOf(kind: GroupingName): GroupOf {
  switch (kind) {
    case 'tensor':
      return (name) => name;
    case 'block':
      return blockOf;
    case 'type':
      return typeOf;
    case 'global':
      return () => 'global';
    default:
      throw new Error(`grouping "${kind as string}" is unknown: choose one of ${groupingNames.join(', ')}`);
  }
}
