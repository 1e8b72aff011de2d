/**
 * Re-indexing the preconditioner's token-indexed entries for a run whose tokenizer is not the probe's.
 *
 * Two entries are indexed by token id: the row factors R_i of embeddings.word_embeddings (V rows) and the values
 * of cls.predictions.bias (V). Row i means "the token with id i" of the probe's tokenizer; under another
 * tokenizer id i is another piece. For each run token j (piece s_j, count n_j in the run's training split):
 *
 *   source(j) = the probe id of piece s_j                          when the probe's vocabulary holds s_j  (by string)
 *             = probeByRank[floor(rank_run(j) * V_probe / V_run)]  otherwise                              (by rank)
 *
 * with rank(id) the position of id when a vocabulary's ids are sorted by count, most frequent first (ties: lower id
 * first), and probeByRank the probe's ids in that order. Then entry_run[j] = entry_probe[source(j)] (a row factor or a
 * bias value). Everything else (column factors, eps_T, the other tensors, the step lengths) is left as it is; the
 * preconditioner's mean(R) is taken from the remapped rows (precondition.ts).
 */
import type { Preconditioner, PreconditionerFactors } from './second-moments.js';
import type { ProbeVocabulary } from './vocabulary.js';

/** Token-indexed preconditioner entries: parameter name -> which factor is indexed by token id. */
export const TOKEN_INDEXED: Readonly<Record<string, 'rows' | 'values'>> = {
  'embeddings.word_embeddings': 'rows',
  'cls.predictions.bias': 'values',
};

/** The run's side: its tokenizer's pieces in id order and their counts in its training split. */
export interface RunVocabulary {
  tokens: readonly string[];
  counts: ArrayLike<number>;
}

/** What scheduleRule did with the token-indexed entries (recorded in the run's summary). */
export interface TokenRemap {
  /** same: the probe's tokenizer; remapped: re-indexed (see the file comment); as-is: another or unknown tokenizer, but the artifact records no vocabulary. */
  action: 'same' | 'remapped' | 'as-is';
  /** Tokenizer fingerprints (data/fingerprint.ts tokenizerFingerprint); null: the artifact records none. */
  probeTokenizer: string | null;
  runTokenizer: string;
  /** The parameters whose entries were re-indexed (empty unless remapped). */
  params: string[];
  /** Run tokens whose entries came from the same piece of the probe's vocabulary, and from the probe token of equal frequency rank. */
  byString: number;
  byRank: number;
}

/** rank[id]: 0 for the most frequent id; ties broken by the lower id. */
export function frequencyRanks(counts: ArrayLike<number>): Int32Array {
  const order = byFrequency(counts);
  const rank = new Int32Array(counts.length);
  order.forEach((id, r) => (rank[id] = r));
  return rank;
}

/** The ids sorted by count, most frequent first (ties: lower id first). */
export function byFrequency(counts: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: counts.length }, (_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
}

/**
 * How run tokens find their probe token: by string first, then by rank (the default); by frequency rank alone; or by
 * string, with the median entry for every token the probe's vocabulary lacks (source -1).
 */
export type TokenMatch = 'string' | 'rank' | 'string-median';

/**
 * source[j]: the probe id whose statistics run id j takes (see the file comment), with the counts of each kind of
 * match (byRank: every token not matched by string; with 'string-median' those take the median instead). With match
 * 'rank' every token is matched by frequency rank, shared pieces too.
 */
export function tokenSources(
  probe: ProbeVocabulary,
  run: RunVocabulary,
  match: TokenMatch = 'string',
): { source: Int32Array; byString: number; byRank: number } {
  const V = run.tokens.length,
    P = probe.tokens.length;
  if (run.counts.length !== V) throw new Error(`tokenSources: the run has ${V} tokens but ${run.counts.length} counts`);
  const probeId = new Map(probe.tokens.map((t, i) => [t, i]));
  const probeByRank = byFrequency(probe.counts);
  const runRank = frequencyRanks(run.counts);
  const source = new Int32Array(V);
  let byString = 0;
  for (let j = 0; j < V; j++) {
    const same = match === 'rank' ? undefined : probeId.get(run.tokens[j]);
    if (same !== undefined) {
      source[j] = same;
      byString++;
    } else source[j] = match === 'string-median' ? -1 : probeByRank[Math.min(P - 1, Math.floor((runRank[j] * P) / V))];
  }
  return { source, byString, byRank: V - byString };
}

/**
 * A copy of `pre` whose TOKEN_INDEXED entries are gathered through `source` (entry[j] = entry[source[j]], and the
 * median entry where source[j] is -1); returns the names changed.
 */
export function remapPreconditioner(pre: Preconditioner, source: Int32Array): { preconditioner: Preconditioner; params: string[] } {
  const params: Record<string, PreconditionerFactors> = { ...pre.params };
  const changed: string[] = [];
  for (const [name, key] of Object.entries(TOKEN_INDEXED)) {
    const f = pre.params[name];
    if (f === undefined) continue;
    const from = (f as Record<string, unknown>)[key];
    if (!(from instanceof Float32Array)) throw new Error(`remapPreconditioner: ${name} has no ${key} factor to re-index`);
    const median = source.some((i) => i < 0) ? Float32Array.from(from).sort()[Math.floor(from.length / 2)] : NaN; // only 'string-median' asks
    params[name] = { ...f, [key]: Float32Array.from(source, (i) => (i < 0 ? median : from[i])) } as PreconditionerFactors; // (V_run)
    changed.push(name);
  }
  return { preconditioner: { ...pre, params }, params: changed };
}
