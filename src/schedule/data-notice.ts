/**
 * Whether a schedule is used on the data and tokenizer it was extracted with. A schedule extracted on other text
 * (its probe's data fingerprint differs from the run's) is allowed: how much that costs is a measurement, not a
 * rule. But it deserves one line, so a user who meant to train on the probe's data sees that they do not, and
 * what was done about it: with another tokenizer the preconditioner's token-indexed entries are re-indexed for
 * the run's tokens when the artifact records its vocabulary (token-remap.ts), and applied as they are otherwise.
 */
import { shortHash } from '../formats/codec.js';
import type { TokenRemap } from './token-remap.js';

const bare = (fingerprint: string): string => fingerprint.replace(/^sha256:/, '');

/**
 * A one-line notice when `scheduleFingerprint` (the artifact's probe.dataFingerprint) and `runFingerprint`
 * (the training data's) differ, or the tokenizers differ (`tokens`, the schedule rule's record); undefined when
 * both are the same. Library code returns it; the caller decides where it goes.
 */
export function scheduleDataNotice(scheduleFingerprint: string, runFingerprint: string, tokens?: TokenRemap): string | undefined {
  const sameData = bare(scheduleFingerprint) === bare(runFingerprint);
  // An artifact that records no tokenizer, used on its own data, had this run's tokenizer.
  const sameTokenizer = tokens === undefined || tokens.action === 'same' || (tokens.probeTokenizer === null && sameData);
  if (sameData && sameTokenizer) return undefined;
  const differs: string[] = [];
  if (!sameData)
    differs.push(`other data (data fingerprint ${shortHash(scheduleFingerprint)}, this run's is ${shortHash(runFingerprint)})`);
  const recorded = tokens !== undefined && tokens.probeTokenizer !== null;
  if (!sameTokenizer && recorded) {
    differs.push(
      `another tokenizer (tokenizer fingerprint ${shortHash(tokens.probeTokenizer!)}, this run's is ${shortHash(tokens.runTokenizer)})`,
    );
  }
  let done = 'it is applied as is';
  if (!sameTokenizer && tokens.action === 'remapped') {
    done =
      `its token-indexed preconditioner entries (${tokens.params.join(', ')}) were re-indexed for this run's tokens, ` +
      `${tokens.byString} shared pieces by string, re-weighted for their frequency here, and ${tokens.byFrequency} others by their frequency; ` +
      'the rest is applied as is';
  } else if (!sameTokenizer) {
    done = `it records no ${recorded ? 'vocabulary' : 'tokenizer'} to re-index its token-indexed entries by, so it is applied as is`;
  }
  return `note: the schedule was extracted on ${differs.join(' and ')}: ${done}; run extract on this corpus for a schedule matched to it`;
}
