/**
 * The schedule ablation (src/schedule/swap.ts): each swap takes exactly its piece from the donor and keeps the
 * rest of the base, the result is a valid artifact a run can read, and schedules that cannot be mixed are refused.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenizerFingerprint } from '../../src/data/fingerprint.js';
import { runProbe } from '../../src/run/probe/probe.js';
import { buildArtifact, decodeArtifact, encodeArtifact, type ArtifactBody } from '../../src/schedule/artifact.js';
import { compressTrace, withRecommendedDefaults } from '../../src/schedule/compress.js';
import { loadArtifact, saveArtifact } from '../../src/schedule/files.js';
import type { GroupSchedule } from '../../src/schedule/interpolate.js';
import { scheduleRule } from '../../src/schedule/rule.js';
import { groupLevel, remapFor, swapPiece } from '../../src/schedule/swap.js';
import { TOKEN_INDEXED, tokenSources } from '../../src/schedule/token-remap.js';
import { tinySetup } from '../run/train/tiny.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-swap-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let base: ArtifactBody, donor: ArtifactBody;

beforeAll(async () => {
  const { base: run } = await tinySetup();
  const made = async (seed: number, lr: number) => {
    const { trace } = await runProbe({ ...run, seed, totalSteps: 40, probeSteps: 20, lr });
    return buildArtifact({ trace, compressed: compressTrace(trace, withRecommendedDefaults()) }); // the defaults: factorized, factored preconditioner
  };
  base = await made(0, 2e-3);
  // The donor as if probed with another tokenizer: the same pieces in the reverse id order.
  const probed = await made(1, 8e-3);
  const tokens = [...probed.vocabulary!.tokens].reverse();
  donor = {
    ...probed,
    probe: { ...probed.probe, tokenizer: { fingerprint: tokenizerFingerprint(tokens), vocabSize: tokens.length } },
    vocabulary: { tokens, counts: Int32Array.from(probed.vocabulary!.counts).reverse() },
  };
});

const knotValues = (s: GroupSchedule) => ('knots' in s ? s.knots.map(([, v]) => v) : [s.constant]);

describe('swapPiece', () => {
  it("lengths: the donor's level per group on the base's time profile; time: the reverse; both together give the donor", () => {
    const lengths = swapPiece(base, donor, 'lengths');
    const time = swapPiece(base, donor, 'time');
    for (const group of Object.keys(base.groups)) {
      expect(groupLevel(lengths.groups[group])).toBeCloseTo(groupLevel(donor.groups[group]), 10);
      expect(groupLevel(time.groups[group])).toBeCloseTo(groupLevel(base.groups[group]), 10);
      const ratio = knotValues(lengths.groups[group]).map((v, k) => v / knotValues(base.groups[group])[k]);
      for (const r of ratio) expect(r).toBeCloseTo(ratio[0], 10); // the base's shape, rescaled
      const timeThenLengths = knotValues(time.groups[group]).map(
        (v) => (v * groupLevel(donor.groups[group])) / groupLevel(base.groups[group]),
      );
      knotValues(donor.groups[group]).forEach((v, k) => expect(timeThenLengths[k] / v).toBeCloseTo(1, 10));
    }
    expect(lengths.preconditioner).toEqual(base.preconditioner);
    expect(new Set(Object.keys(base.groups).map((g) => groupLevel(base.groups[g]) / groupLevel(donor.groups[g]))).size).toBeGreaterThan(1);
  });

  it('tokens: the token-indexed entries and the vocabulary from the donor, every other entry from the base; factors: the reverse', () => {
    const tokens = swapPiece(base, donor, 'tokens');
    const factors = swapPiece(base, donor, 'factors');
    for (const name of Object.keys(base.preconditioner!.params)) {
      const tokenIndexed = name in TOKEN_INDEXED;
      expect(tokens.preconditioner!.params[name]).toBe((tokenIndexed ? donor : base).preconditioner!.params[name]);
      expect(factors.preconditioner!.params[name]).toBe((tokenIndexed ? base : donor).preconditioner!.params[name]);
    }
    expect(tokens.groups).toBe(base.groups);
    expect(donor.probe.tokenizer).not.toEqual(base.probe.tokenizer);
    expect(tokens.vocabulary).toBe(donor.vocabulary);
    expect(tokens.probe.tokenizer).toBe(donor.probe.tokenizer); // the entries' ids are the donor tokenizer's
    expect(factors.vocabulary).toBeUndefined(); // the base as is: applied by token id
  });

  it("an artifact built from a probe re-encodes to its own bytes (the probe map is written in the decoder's order)", () => {
    const bytes = Buffer.from(encodeArtifact(base));
    expect(Buffer.from(encodeArtifact(decodeArtifact(bytes))).equals(bytes)).toBe(true);
  });

  it('writes artifacts that load and that a run can read', () => {
    for (const piece of ['time', 'lengths', 'tokens', 'factors'] as const) {
      const file = path.join(tmp, `${piece}.graft`);
      saveArtifact(file, swapPiece(base, donor, piece));
      const rule = scheduleRule(loadArtifact(file), { totalSteps: 40 });
      expect(Number.isFinite(rule.rate(Object.keys(base.groups)[0], 10))).toBe(true);
    }
  });

  it("remapFor: the base's token-indexed entries re-indexed for the target's tokenizer, recorded as the target's", () => {
    const remapped = remapFor(base, donor, 'rank');
    expect(remapped.probe.tokenizer).toBe(donor.probe.tokenizer);
    expect(remapped.vocabulary).toBe(donor.vocabulary);
    const { source } = tokenSources(base.vocabulary!, donor.vocabulary!, 'rank');
    const rows = (a: ArtifactBody) => (a.preconditioner!.params['embeddings.word_embeddings'] as { rows: Float32Array }).rows;
    rows(remapped).forEach((r, j) => expect(r).toBe(rows(base)[source[j]]));
    expect(remapped.preconditioner!.params['encoder.layer.0.attention.self.query.kernel']).toBe(
      base.preconditioner!.params['encoder.layer.0.attention.self.query.kernel'],
    );
    expect(remapped.groups).toBe(base.groups);
    expect(new Set(source).size).toBeGreaterThan(source.length / 2); // a re-indexing, not one row copied everywhere
  });

  it('refuses schedules made for different models or compressed over other knots', () => {
    const otherModel = { ...donor, model: { ...donor.model, fingerprint: 'x'.repeat(64) } };
    expect(() => swapPiece(base, otherModel, 'time')).toThrow(/different models/);
    const group = Object.keys(donor.groups)[0];
    const shifted = { ...donor, groups: { ...donor.groups, [group]: { ...donor.groups[group], knots: [[0.5, 1]] } } } as ArtifactBody;
    expect(() => swapPiece(base, shifted, 'lengths')).toThrow(/knots at other positions/);
  });
});
