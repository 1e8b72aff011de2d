/**
 * Ablation of a schedule: which of its pieces carries over to other data. `swapPiece(base, donor, piece)` is the base
 * artifact with one piece taken from the donor (both probed for the same model, over the same probe window):
 *
 *   level_G     = exp(mean_k log c_G(x_k))            the per-group step length (geometric mean over the knots x_k)
 *   shape_G(x)  = c_G(x) / level_G                    the time profile (shared by the groups, up to the caps)
 *
 *   time:    c_G(x) = donor_G(x) * level^base_G / level^donor_G     the donor's time profile, the base's step lengths
 *   lengths: c_G(x) = base_G(x) * level^donor_G / level^base_G      the base's time profile, the donor's step lengths
 *   tokens:  the preconditioner entries indexed by token id (token-remap.ts TOKEN_INDEXED), the tokenizer and the vocabulary
 *            from the donor
 *   factors: every other preconditioner entry from the donor
 *
 * The base is read as is: its vocabulary is dropped, so a run on the donor's data applies its token-indexed entries
 * by id (what a schedule without a vocabulary does), except in the `tokens` swap, where entries and vocabulary are the
 * donor's. The factorized profile summary (compression.profile) no longer describes the mixed values and is left out.
 */
import type { ArtifactBody } from './artifact.js';
import type { GroupEntry } from './compress.js';
import type { GroupSchedule } from './interpolate.js';
import { remapPreconditioner, TOKEN_INDEXED, tokenEntryMap, type TokenMatch } from './token-remap.js';

export const SCHEDULE_PIECES = ['time', 'lengths', 'tokens', 'factors'] as const;
export type SchedulePiece = (typeof SCHEDULE_PIECES)[number];

/** The values of a group's schedule at its knots (a constant: one value). */
function values(s: GroupSchedule): number[] {
  return 'constant' in s ? [s.constant] : s.knots.map(([, v]) => v);
}

/** level_G: the geometric mean of the group's values (see the file comment). */
export function groupLevel(s: GroupSchedule): number {
  const v = values(s);
  return Math.exp(v.reduce((sum, x) => sum + Math.log(x), 0) / v.length);
}

/** `s` with every value multiplied by `factor`. */
function scaled(s: GroupSchedule, factor: number): GroupSchedule {
  return 'constant' in s ? { constant: s.constant * factor } : { knots: s.knots.map(([x, v]) => [x, v * factor] as [number, number]) };
}

/** Throws unless the two artifacts can be mixed: the same groups and, for knot schedules, the same knot positions. */
function checkMixable(base: ArtifactBody, donor: ArtifactBody): void {
  if (base.model.fingerprint !== donor.model.fingerprint) {
    throw new Error('swap: the two schedules were made for different models (model fingerprints differ): probe the same model');
  }
  for (const [group, b] of Object.entries(base.groups)) {
    const d = donor.groups[group];
    if (d === undefined) throw new Error(`swap: group "${group}" is not in the donor schedule: use the same grouping`);
    const bx = 'knots' in b ? b.knots.map(([x]) => x) : [];
    const dx = 'knots' in d ? d.knots.map(([x]) => x) : [];
    if (bx.length !== dx.length || bx.some((x, k) => Math.abs(x - dx[k]) > 1e-12)) {
      throw new Error(
        `swap: group "${group}" has knots at other positions in the two schedules: compress both with the same method over the same probe window`,
      );
    }
  }
}

/** The base artifact with one piece from the donor (see the file comment). */
export function swapPiece(base: ArtifactBody, donor: ArtifactBody, piece: SchedulePiece): ArtifactBody {
  checkMixable(base, donor);
  const { vocabulary: _dropped, ...asIs } = base;
  const { profile: _stale, ...compression } = base.compression;
  const out: ArtifactBody = { ...asIs, compression };
  if (piece === 'time' || piece === 'lengths') {
    const groups: Record<string, GroupEntry> = {};
    for (const [group, b] of Object.entries(base.groups)) {
      const d = donor.groups[group];
      const ratio = groupLevel(d) / groupLevel(b); // level^donor_G / level^base_G
      const schedule = piece === 'lengths' ? scaled(b, ratio) : scaled(d, 1 / ratio);
      const { spread } = piece === 'lengths' ? b : d;
      groups[group] = { ...schedule, spread } as GroupEntry;
    }
    out.groups = groups;
    return out;
  }
  if (!base.preconditioner || !donor.preconditioner)
    throw new Error(`swap: piece "${piece}" needs a factored preconditioner in both schedules`);
  const tokenIndexed = (name: string) => name in TOKEN_INDEXED;
  const params = Object.fromEntries(
    Object.entries(base.preconditioner.params).map(([name, f]) => {
      const fromDonor = piece === 'tokens' ? tokenIndexed(name) : !tokenIndexed(name);
      return [name, fromDonor ? donor.preconditioner!.params[name] : f];
    }),
  );
  out.preconditioner = { ...base.preconditioner, params };
  if (piece === 'tokens') {
    // the entries are the donor's token ids now: record the donor's tokenizer, and its vocabulary where it has one
    out.probe = { ...base.probe, tokenizer: donor.probe.tokenizer };
    if (donor.vocabulary) out.vocabulary = donor.vocabulary;
  }
  return out;
}

/**
 * The base artifact re-indexed ahead of time for the tokenizer of `target` (an artifact probed with it, which records
 * its vocabulary): its token-indexed entries re-indexed as train does (token-remap.ts), by the rule `match`, and the target's
 * tokenizer and vocabulary recorded, so a run with that tokenizer applies the entries as they are.
 */
export function remapFor(base: ArtifactBody, target: ArtifactBody, match: TokenMatch): ArtifactBody {
  if (!base.vocabulary || !target.vocabulary) throw new Error('remap: both schedules need a recorded vocabulary: re-run extract');
  if (!base.preconditioner) throw new Error('remap: the schedule has no preconditioner to re-index');
  const { map } = tokenEntryMap(base.vocabulary, target.vocabulary, match);
  const { preconditioner } = remapPreconditioner(base.preconditioner, map);
  return { ...base, probe: { ...base.probe, tokenizer: target.probe.tokenizer }, preconditioner, vocabulary: target.vocabulary };
}
