/**
 * Whether a schedule is used on the data it was extracted on. A schedule extracted on other text (its
 * probe's data fingerprint differs from the run's) is allowed: how much that costs is a measurement, not a
 * rule. But it deserves one line, so a user who meant to train on the probe's data sees that they do not.
 */
import { shortHash } from '../formats/codec.js';

const bare = (fingerprint: string): string => fingerprint.replace(/^sha256:/, '');

/**
 * A one-line notice when `scheduleFingerprint` (the artifact's probe.dataFingerprint) and `runFingerprint`
 * (the training data's) differ; undefined when they are the same data. Library code returns it; the caller
 * decides where it goes.
 */
export function scheduleDataNotice(scheduleFingerprint: string, runFingerprint: string): string | undefined {
  if (bare(scheduleFingerprint) === bare(runFingerprint)) return undefined;
  return (
    `note: the schedule was extracted on other data (data fingerprint ${shortHash(scheduleFingerprint)}, this run's is ${shortHash(runFingerprint)}): ` +
    'it is applied as is; run extract on this corpus for a schedule matched to it'
  );
}
