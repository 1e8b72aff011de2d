/**
 * Re-indexing the preconditioner's token-indexed entries for a run whose tokenizer is not the probe's.
 *
 * Two entries are indexed by token id: the row factors R_i of embeddings.word_embeddings (V rows) and the values
 * of cls.predictions.bias (V). Row i means "the token with id i" of the probe's tokenizer; under another
 * tokenizer id i is another piece. A token's entry follows how often it occurs (its row gets gradient where it is
 * an input, and through the tied output layer from every masked position in proportion to its predicted
 * probability), so train's rule ('frequency') re-evaluates each entry at the run's frequency of the piece:
 *
 *   f(j)     = (n_j + 1/2) / N              a token's share of its training split (n_j its count, N the split's tokens)
 *   curve(f) = median of the entries of the K = 25 probe tokens whose log f_probe is nearest log f
 *   entry_run[j] = entry_probe[s] * curve(f_run(j)) / curve(f_probe(s))   when the probe's vocabulary holds piece s_j = s
 *                = curve(f_run(j))                                         otherwise
 *
 * so a shared piece keeps what is its own (its entry against tokens as frequent in the probe) and moves with its
 * frequency here, and a new piece takes what probe tokens of its frequency have. Measured on two corpora (Moby-Dick,
 * the King James Bible) against the entries a probe on that corpus gives, this halves the count-weighted error on
 * shared pieces of the earlier rule ('string': the entry of the same piece, else of the probe token of the same frequency rank;
 * artifacts/README.md "a shipped schedule on other corpora").
 *
 * The other rules are kept for measurement: 'string', 'rank' (every token by frequency rank), 'string-median' (the
 * median entry for pieces the probe lacks). Everything else (column factors, eps_T, the other tensors, the step
 * lengths) is left as it is; the preconditioner's mean(R) is taken from the remapped rows (precondition.ts).
 */
import { median } from './fit.js';
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
  /** The rule used (see the file comment); absent when nothing was re-indexed. */
  match?: TokenMatch;
  /** Run tokens whose entries came from the same piece of the probe's vocabulary, and the others (by frequency, or rank). */
  byString: number;
  byFrequency: number;
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
 * How run tokens get their entries: by string, re-evaluated at the run's frequency, and by frequency otherwise
 * (train's rule); by string first, then by rank; by frequency rank alone; or by string, with the median entry for
 * every token the probe's vocabulary lacks (source -1; the upper median).
 */
export type TokenMatch = 'frequency' | 'string' | 'rank' | 'string-median';

/** Gathers entries through sources (entry[j] = entry[source[j]]), the median entry where source[j] is -1. */
function gather(source: Int32Array): (entries: Float32Array) => Float32Array {
  return (entries) => {
    const med = source.some((i) => i < 0) ? Float32Array.from(entries).sort()[entries.length >> 1] : NaN; // only 'string-median' asks
    return Float32Array.from(source, (i) => (i < 0 ? med : entries[i])); // (V_run)
  };
}

/** The number of probe tokens whose entries make one point of the frequency curve. */
export const CURVE_NEIGHBOURS = 25;

/** log f = log((n + 1/2) / N) of every count (see the file comment). */
function logShares(counts: ArrayLike<number>): Float64Array {
  let N = 0;
  for (let i = 0; i < counts.length; i++) N += counts[i];
  return Float64Array.from(counts, (n) => Math.log((n + 0.5) / Math.max(N, 1)));
}

/**
 * curve(log f): the median entry of the K probe tokens whose log share is nearest log f (the window of K
 * neighbours in sorted order around where log f falls, kept inside the vocabulary).
 */
export function frequencyCurve(entries: Float32Array, probeCounts: ArrayLike<number>, K = CURVE_NEIGHBOURS): (logShare: number) => number {
  const shares = logShares(probeCounts);
  const order = Int32Array.from(shares.keys()).sort((a, b) => shares[a] - shares[b] || a - b);
  const sorted = Float64Array.from(order, (i) => shares[i]);
  const k = Math.min(K, order.length);
  return (logShare) => {
    let lo = 0,
      hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < logShare) lo = mid + 1;
      else hi = mid;
    }
    const start = Math.max(0, Math.min(sorted.length - k, lo - (k >> 1)));
    return median(Array.from(order.subarray(start, start + k), (i) => entries[i]));
  };
}

/**
 * How the token-indexed entries of the probe become the run's: `map(entries)` gives the run's (V_run) from the
 * probe's (V_probe) under `match` (see the file comment; `neighbours`: K), with the counts of shared pieces and of
 * the others.
 */
export function tokenEntryMap(
  probe: ProbeVocabulary,
  run: RunVocabulary,
  match: TokenMatch = 'frequency',
  neighbours = CURVE_NEIGHBOURS,
): { map: (entries: Float32Array) => Float32Array; byString: number; byFrequency: number } {
  if (match !== 'frequency') {
    const { source, byString, byRank } = tokenSources(probe, run, match);
    return { map: gather(source), byString, byFrequency: byRank };
  }
  const { source, byString, byRank } = tokenSources(probe, run, 'string-median'); // -1 where the probe lacks the piece
  const runShares = logShares(run.counts),
    probeShares = logShares(probe.counts);
  const map = (entries: Float32Array): Float32Array => {
    const curve = frequencyCurve(entries, probe.counts, neighbours);
    return Float32Array.from(source, (s, j) => {
      const here = curve(runShares[j]);
      if (s < 0) return here;
      const there = curve(probeShares[s]);
      return there > 0 ? entries[s] * (here / there) : entries[s];
    });
  };
  return { map, byString, byFrequency: byRank };
}

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

/** A copy of `pre` whose TOKEN_INDEXED entries are replaced by `map(entries)` (tokenEntryMap); returns the names changed. */
export function remapPreconditioner(
  pre: Preconditioner,
  map: (entries: Float32Array) => Float32Array,
): { preconditioner: Preconditioner; params: string[] } {
  const params: Record<string, PreconditionerFactors> = { ...pre.params };
  const changed: string[] = [];
  for (const [name, key] of Object.entries(TOKEN_INDEXED)) {
    const f = pre.params[name];
    if (f === undefined) continue;
    const from = (f as Record<string, unknown>)[key];
    if (!(from instanceof Float32Array)) throw new Error(`remapPreconditioner: ${name} has no ${key} factor to re-index`);
    params[name] = { ...f, [key]: map(from) } as PreconditionerFactors; // (V_run)
    changed.push(name);
  }
  return { preconditioner: { ...pre, params }, params: changed };
}
