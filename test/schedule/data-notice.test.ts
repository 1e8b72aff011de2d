/**
 * A schedule extracted on other data is applied, with one line saying so (issue: "training with a schedule
 * extracted on other data gives no word of it").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { trainWithProgress } from '../../src/cli/train.js';
import { presetConfig } from '../../src/model/config.js';
import { paramShapes } from '../../src/model/init.js';
import { decodeArtifact, encodeArtifact, type Artifact, type ArtifactBody } from '../../src/schedule/artifact.js';
import { scheduleDataNotice } from '../../src/schedule/data-notice.js';
import { describeModel } from '../../src/schedule/model-info.js';
import type { RunOptions } from '../../src/run/train/options.js';
import { fixtureArtifact } from '../fixtures/fixture-artifact.js';
import { tinySetup } from '../run/train/tiny.js';

describe('scheduleDataNotice', () => {
  it('says nothing for the same data, with or without the "sha256:" prefix', () => {
    expect(scheduleDataNotice('ab'.repeat(32), 'ab'.repeat(32))).toBeUndefined();
    expect(scheduleDataNotice(`sha256:${'ab'.repeat(32)}`, 'ab'.repeat(32))).toBeUndefined();
  });

  it('names the tokenizers and what was re-indexed when the tokenizer differs', () => {
    const tokens = {
      action: 'remapped' as const,
      probeTokenizer: 'aa'.repeat(32),
      runTokenizer: 'bb'.repeat(32),
      params: ['embeddings.word_embeddings', 'cls.predictions.bias'],
      byString: 40,
      byFrequency: 24,
    };
    expect(scheduleDataNotice('0123456789abcdef', 'fedcba9876543210', tokens)).toBe(
      "note: the schedule was extracted on other data (data fingerprint 0123456789ab, this run's is fedcba987654) and another tokenizer " +
        "(tokenizer fingerprint aaaaaaaaaaaa, this run's is bbbbbbbbbbbb): its token-indexed preconditioner entries " +
        "(embeddings.word_embeddings, cls.predictions.bias) were re-indexed for this run's tokens, 40 shared pieces by string, " +
        're-weighted for their frequency here, and 24 others by their frequency; the rest is applied as is; ' +
        'run extract on this corpus for a schedule matched to it',
    );
    // the same tokenizer on other data: the data line alone; an unrecorded tokenizer on the probe's own data: nothing
    const same = { ...tokens, action: 'same' as const, runTokenizer: tokens.probeTokenizer, byString: 0, byFrequency: 0, params: [] };
    expect(scheduleDataNotice('0123456789abcdef', 'fedcba9876543210', same)).toContain('other data (data fingerprint 0123456789ab');
    expect(scheduleDataNotice('0123456789abcdef', 'fedcba9876543210', same)).toContain(': it is applied as is;');
    expect(scheduleDataNotice('ab'.repeat(32), 'ab'.repeat(32), { ...tokens, action: 'as-is', probeTokenizer: null })).toBeUndefined();
  });

  it('names both fingerprints (12 digits) and what to do when they differ', () => {
    expect(scheduleDataNotice('0123456789abcdef', 'fedcba9876543210')).toBe(
      "note: the schedule was extracted on other data (data fingerprint 0123456789ab, this run's is fedcba987654): " +
        'it is applied as is; run extract on this corpus for a schedule matched to it',
    );
  });
});

describe('graftlr train with a schedule from other data', () => {
  let base: Partial<RunOptions>;
  let dataFingerprint: string;
  /** A constant schedule (all ones) for the tiny run's model, extracted on data with this fingerprint. */
  let artifactOn: (fingerprint: string) => Artifact;
  beforeAll(async () => {
    const setup = await tinySetup();
    base = setup.base;
    dataFingerprint = setup.data.fingerprint;
    const config = presetConfig('tiny', { ...base.configOverrides, vocabSize: base.vocabSize }); // the run's model (runConfig)
    const model = describeModel('bert-mlm', { ...config }, paramShapes(config));
    const f = fixtureArtifact();
    artifactOn = (fingerprint) => {
      const body: ArtifactBody = {
        ...f,
        trace: undefined,
        model,
        probe: { ...f.probe, dataFingerprint: fingerprint },
        compression: {
          ...f.compression,
          method: 'constant',
          options: { ...f.compression.options, method: 'constant' },
          fitError: {},
          flagged: [],
        },
        groups: Object.fromEntries(model.groups.map((g) => [g.name, { constant: 1, spread: f.groups['cls.predictions.bias'].spread }])),
      };
      delete body.trace;
      return decodeArtifact(encodeArtifact(body));
    };
  });

  async function stderrOf(schedule: Artifact): Promise<string[]> {
    const err: string[] = [];
    await trainWithProgress(
      { ...base, preset: 'tiny', optimizer: 'static', schedule, steps: 1, evalEvery: 0 },
      {
        out: () => {},
        err: (t) => {
          err.push(t);
        },
        env: {},
      },
    );
    return err;
  }

  it('prints the note once, on stderr, when the fingerprints differ', async () => {
    const err = await stderrOf(artifactOn('sha256:5eed'));
    // The fixture records no tokenizer: the note says so, and that nothing was re-indexed.
    expect(err.filter((l) => l.startsWith('note: the schedule was extracted on other data'))).toEqual([
      `note: the schedule was extracted on other data (data fingerprint 5eed, this run's is ${dataFingerprint.slice(0, 12)}): ` +
        'it records no tokenizer to re-index its token-indexed entries by, so it is applied as is; run extract on this corpus for a schedule matched to it',
    ]);
  });

  it('prints no note for a schedule extracted on this data', async () => {
    const err = await stderrOf(artifactOn(dataFingerprint));
    expect(err.some((l) => l.startsWith('engine: '))).toBe(true); // the start line was printed, without a note
    expect(err.some((l) => l.includes('other data'))).toBe(false);
  });
});
