/**
 * A schedule extracted on one corpus, trained on another: extract records the probe's corpus, tokenizer and
 * vocabulary; train re-indexes the token-indexed preconditioner entries for its own tokenizer, says so in one
 * line and records it in summary.json; on the probe's own data it does nothing and says nothing. Tiny setups.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainWithProgress } from '../../../src/cli/train.js';
import { tokenCounts, tokenizerFingerprint } from '../../../src/data/fingerprint.js';
import { prepareData, type PreparedData } from '../../../src/data/prepare.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import type { Artifact } from '../../../src/schedule/artifact.js';
import { formatArtifactTable } from '../../../src/schedule/inspect.js';
import { scheduleRule } from '../../../src/schedule/rule.js';
import { frequencyCurve, tokenEntryMap } from '../../../src/schedule/token-remap.js';
import { tinyExtractedArtifact, tinySetup } from './tiny.js';

/** Another corpus: other words (a few shared with the tiny corpus), written into a new temporary folder. */
function writeOtherCorpus(): string {
  const words = 'whale sea ship the of and captain harpoon boat deck sail wind storm oil ahab white'.split(' ');
  let x = 7;
  let text = '';
  for (let i = 0; i < 3000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    text += words[(x >> 8) % words.length] + (i % 10 === 9 ? '.\n' : ' ');
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-other-')), 'other.txt');
  fs.writeFileSync(file, text);
  return file;
}

const io = (err: string[]) => ({ out: () => {}, err: (t: string) => void err.push(t), env: {} });

describe('a schedule on another corpus and tokenizer', () => {
  let base: Partial<RunOptions>;
  let data: PreparedData;
  let other: PreparedData;
  let artifact: Artifact;
  beforeAll(async () => {
    ({ base, data } = await tinySetup());
    other = prepareData({ corpus: [writeOtherCorpus()], vocabSize: 64, seqLen: 16 });
    artifact = await tinyExtractedArtifact(base); // through the file format
  }, 120_000);

  it("records the probe's corpus, tokenizer and vocabulary with its training-split counts", () => {
    expect(artifact.probe.corpus).toBe(data.spec);
    expect(artifact.probe.tokenizer).toEqual({ fingerprint: tokenizerFingerprint(data.tokenizer.vocab), vocabSize: 64 });
    expect(artifact.vocabulary!.tokens).toEqual([...data.tokenizer.vocab]);
    expect([...artifact.vocabulary!.counts]).toEqual([...tokenCounts(data.train.ids, 64)]);
    expect(artifact.preconditioner).toBeDefined();
    const table = formatArtifactTable(artifact);
    expect(table).toContain(`corpus:      ${data.spec}\n`);
    expect(table).toContain(
      `tokenizer:   64 tokens, fingerprint ${tokenizerFingerprint(data.tokenizer.vocab).slice(0, 12)}; vocabulary and token counts recorded (${data.train.ids.length.toLocaleString('en-US')} training tokens)`,
    );
  });

  it('re-indexes the token-indexed entries for the other tokenizer, says so in one line, and records it in summary.json', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-remap-run-'));
    const err: string[] = [];
    const summary = await trainWithProgress(
      { ...base, data: other, preset: 'tiny', optimizer: 'static', schedule: artifact, steps: 1, evalEvery: 0, outDir },
      io(err),
    );
    const { byString, byFrequency } = tokenEntryMap(artifact.vocabulary!, {
      tokens: other.tokenizer.vocab,
      counts: tokenCounts(other.train.ids, 64),
    });
    expect(byString).toBeGreaterThan(5); // the special tokens and the shared words
    expect(byFrequency).toBeGreaterThan(5);
    const expected = {
      action: 'remapped',
      match: 'frequency',
      probeTokenizer: tokenizerFingerprint(data.tokenizer.vocab),
      runTokenizer: tokenizerFingerprint(other.tokenizer.vocab),
      params: ['embeddings.word_embeddings', 'cls.predictions.bias'],
      byString,
      byFrequency,
    };
    expect(summary.scheduleTokens).toEqual(expected);
    expect(JSON.parse(fs.readFileSync(path.join(outDir, 'summary.json'), 'utf8')).scheduleTokens).toEqual(expected);
    const notes = err.filter((l) => l.startsWith('note: the schedule'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(
      `other data (data fingerprint ${artifact.probe.dataFingerprint.slice(0, 12)}, this run's is ${other.fingerprint.slice(0, 12)})`,
    );
    expect(notes[0]).toContain(
      `another tokenizer (tokenizer fingerprint ${expected.probeTokenizer.slice(0, 12)}, this run's is ${expected.runTokenizer.slice(0, 12)})`,
    );
    expect(notes[0]).toContain(
      `(embeddings.word_embeddings, cls.predictions.bias) were re-indexed for this run's tokens, ${byString} shared pieces by string, re-weighted for their frequency here, and ${byFrequency} others by their frequency`,
    );
  }, 60_000);

  it("gives a shared piece the probe's entry times curve(its share here) / curve(its share there)", () => {
    const counts = tokenCounts(other.train.ids, 64);
    const rule = scheduleRule(artifact, {
      totalSteps: 10,
      vocabulary: { tokens: other.tokenizer.vocab, counts, fingerprint: tokenizerFingerprint(other.tokenizer.vocab) },
    });
    const rows = (rule.preconditioner!['embeddings.word_embeddings'] as { rows: Float32Array }).rows;
    const probeRows = (artifact.preconditioner!.params['embeddings.word_embeddings'] as { rows: Float32Array }).rows;
    const shared = other.tokenizer.vocab.filter((piece) => data.tokenizer.vocab.includes(piece));
    expect(shared).toEqual(expect.arrayContaining(['[PAD]', '[MASK]', 'the', 'a', '##e']));
    const bias = (rule.preconditioner!['cls.predictions.bias'] as { values: Float32Array }).values;
    const probeBias = (artifact.preconditioner!.params['cls.predictions.bias'] as { values: Float32Array }).values;
    const logShare = (c: ArrayLike<number>, id: number) => Math.log((c[id] + 0.5) / Array.from(c).reduce((a, b) => a + b, 0));
    const probeCounts = artifact.vocabulary!.counts;
    for (const [got, probeEntries] of [
      [rows, probeRows],
      [bias, probeBias],
    ] as const) {
      const curve = frequencyCurve(probeEntries, probeCounts);
      for (const piece of shared) {
        const j = other.tokenizer.vocab.indexOf(piece),
          i = data.tokenizer.vocab.indexOf(piece);
        const expected = probeEntries[i] * (curve(logShare(counts, j)) / curve(logShare(probeCounts, i)));
        expect(got[j], piece).toBeCloseTo(expected, 5);
      }
    }
    // the other tensors are the artifact's own
    expect(rule.preconditioner!['embeddings.position_embeddings']).toBe(artifact.preconditioner!.params['embeddings.position_embeddings']);
  });

  it("does nothing and says nothing on the probe's own data", async () => {
    const err: string[] = [];
    const summary = await trainWithProgress(
      { ...base, preset: 'tiny', optimizer: 'static', schedule: artifact, steps: 1, evalEvery: 0 },
      io(err),
    );
    expect(summary.scheduleTokens).toMatchObject({ action: 'same', params: [], byString: 0, byFrequency: 0 });
    expect(err.some((l) => l.startsWith('note: the schedule'))).toBe(false);
  }, 60_000);
});
