/**
 * How well each re-indexing rule (src/schedule/token-remap.ts) predicts the token-indexed preconditioner entries a
 * probe on the target corpus gives, without training: the base schedule (made on other text) re-indexed for the
 * target's tokenizer, against the target's own schedule (a probe there, which records the target's vocabulary and
 * token counts).
 *
 *   node bin/run-script.mjs scripts/token-entry-error.ts <base.graft> <target.graft>
 *
 * The error is in what training applies, the typical preconditioning of a token's coordinates:
 *   word embeddings row i:  ln P_i = -1/2 ln(R_i / mean(R) * median(C) + eps^2)
 *   output bias entry i:    ln P_i = -1/2 ln(v_i + eps^2)
 * each side with its own eps, column factors and mean(R). Printed per rule: the RMS of ln P_predicted - ln P_target
 * over the pieces both vocabularies share and over the others, unweighted and weighted by the target's token counts
 * (how often a row gets gradient there). "as is" applies the base's entries by id.
 */
import { loadArtifact } from '../src/schedule/files.js';
import { median } from '../src/schedule/fit.js';
import { tokenEntryMap, TOKEN_INDEXED, type TokenMatch } from '../src/schedule/token-remap.js';
import type { Artifact } from '../src/schedule/artifact.js';

/** ln P of every token's entry under `art`'s eps (and column factors and mean(R) for rows). */
function logPreconditioning(art: Artifact, name: string, entries: Float32Array): Float64Array {
  const f = art.preconditioner!.params[name];
  const eps2 = f.eps * f.eps;
  if ('values' in f) return Float64Array.from(entries, (v) => -0.5 * Math.log(v + eps2));
  const meanR = entries.reduce((s, x) => s + x, 0) / entries.length;
  const typicalCol = median(Array.from(f.cols));
  return Float64Array.from(entries, (r) => -0.5 * Math.log((r / meanR) * typicalCol + eps2));
}

function entriesOf(art: Artifact, name: string): Float32Array {
  const f = art.preconditioner!.params[name] as Record<string, unknown>;
  return f[TOKEN_INDEXED[name]] as Float32Array;
}

const [basePath, targetPath] = process.argv.slice(2);
if (!basePath || !targetPath) {
  console.error('usage: node bin/run-script.mjs scripts/token-entry-error.ts <base.graft> <target.graft>');
  process.exit(2);
}
try {
  const base = loadArtifact(basePath),
    target = loadArtifact(targetPath);
  if (!base.vocabulary || !target.vocabulary) throw new Error('both schedules need a recorded vocabulary: re-run extract');
  if (!base.preconditioner || !target.preconditioner) throw new Error('both schedules need a preconditioner');
  const run = target.vocabulary;
  const probeIds = new Set(base.vocabulary.tokens);
  const shared = run.tokens.map((t) => probeIds.has(t));
  console.log(`${shared.filter(Boolean).length} of ${run.tokens.length} target pieces are in the base's vocabulary`);
  console.log('RMS of ln P error: shared pieces (unweighted / count-weighted) | other pieces (unweighted / count-weighted)');
  const rules: TokenMatch[] = ['frequency', 'string', 'rank', 'string-median'];
  const maps = rules.map((rule) => [rule, tokenEntryMap(base.vocabulary!, run, rule).map] as const);
  const asIs = (from: Float32Array) => Float32Array.from(run.tokens, (_, j) => from[Math.min(j, from.length - 1)]); // by id
  for (const name of Object.keys(TOKEN_INDEXED)) {
    console.log(name);
    const truth = logPreconditioning(target, name, entriesOf(target, name));
    const from = entriesOf(base, name);
    for (const [rule, map] of [...maps, ['as is', asIs] as const]) {
      const mapped = map(from); // (V_target)
      const predicted = logPreconditioning(base, name, mapped);
      const sums = [0, 0, 0, 0].map(() => [0, 0]); // [shared unweighted, shared weighted, other unweighted, other weighted]: [sum e^2, sum w]
      truth.forEach((t, j) => {
        const e2 = (predicted[j] - t) ** 2,
          w = run.counts[j],
          k = shared[j] ? 0 : 2;
        sums[k][0] += e2;
        sums[k][1] += 1;
        sums[k + 1][0] += w * e2;
        sums[k + 1][1] += w;
      });
      const rms = sums.map(([e, w]) => (w > 0 ? Math.sqrt(e / w).toFixed(3) : '-'));
      console.log(`  ${rule.padEnd(14)} ${rms[0]} / ${rms[1]} | ${rms[2]} / ${rms[3]}`);
    }
  }
} catch (err) {
  console.error(`token-entry-error: ${(err as Error).message}`);
  process.exit(1);
}
