import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { decodeArtifact } from '../../src/schedule/artifact.js';
import { artifactSummaryJson, formatArtifactTable, formatNumber, formatSchedule } from '../../src/schedule/inspect.js';

const artifact = decodeArtifact(fs.readFileSync(new URL('../fixtures/schedule-v1.graft', import.meta.url)));

describe('formatArtifactTable', () => {
  const table = formatArtifactTable(artifact);
  const lines = table.trimEnd().split('\n');

  it('starts with provenance', () => {
    expect(lines[0]).toBe(
      `graftlr.schedule v1, created 2025-01-02T03:04:05.000Z by graftlr 0.1.0, checksum ${artifact.checksum.slice(7, 19)}`,
    );
    // 26 parameters; values: embeddings 64 + 32 + 8 + LN 8 = 112; layer: q,k,v,o kernels 4*16 + biases 4*4
    // + 2 LayerNorms 16 + intermediate 32 + 8 + output 32 + 4 = 172; head: dense 16 + 4, LN 8, bias 16 = 44. 328.
    expect(lines[1]).toMatch(/^model: +bert-mlm, 26 parameters in 26 groups \(328 values\), fingerprint [0-9a-f]{12}$/);
    expect(lines[2]).toContain('adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1.00e-8, weightDecay=0) # sgd(lr=0.001, momentum=0)');
    expect(table).toContain('24 of 1200 planned steps, batch 8 x seq 16, seed 42');
    expect(table).toContain('1 flagged (IQR of ln c > 0.693 or no data), 0 clamped, 0 without data');
  });

  it('has one row per group with shape, multiplier, spread, error and flags', () => {
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))!.split(/\s{2,}/);
    // group 0 of the fixture: 2^-8 = 0.00390625 -> 3 digits
    expect(row('cls.predictions.bias')).toEqual(['cls.predictions.bias', '16', '0.00391', '0.25', '0.125']);
    expect(row('embeddings.word_embeddings')).toEqual([
      'embeddings.word_embeddings',
      '16x4',
      '3 knots in [0, 0.02]: 40 -> 10 -> 5',
      '1.5',
      '0.125',
      'spread',
    ]);
    // group 25: 2^17 = 131072 -> exponent form
    expect(row('encoder.layer.0.output.dense.kernel')).toEqual(['encoder.layer.0.output.dense.kernel', '8x4', '1.31e5', '0.25', '0.125']);
    expect(lines.filter((l) => /^(cls|embeddings|encoder)\./.test(l)).length).toBe(26);
  });

  it('formats numbers and long knot lists compactly', () => {
    expect(formatNumber(0.000123456)).toBe('1.23e-4');
    expect(formatNumber(12345)).toBe('12300');
    expect(formatNumber(null)).toBe('-');
    expect(
      formatSchedule({
        knots: [
          [0, 1],
          [0.1, 2],
          [0.2, 3],
          [0.3, 4],
          [0.4, 5],
        ],
      }),
    ).toBe('5 knots in [0, 0.4]: 1 -> 2 -> ... -> 5');
  });
});

describe('artifactSummaryJson', () => {
  const s = artifactSummaryJson(artifact);

  it('has a stable key order and per-group entries in model order', () => {
    expect(Object.keys(s)).toEqual([
      'format',
      'version',
      'createdAt',
      'tool',
      'checksum',
      'model',
      'probe',
      'compression',
      'target',
      'preconditioner',
      'vocabulary',
      'groups',
    ]);
    expect(s.preconditioner).toBeNull(); // the fixture has none
    expect(s.vocabulary).toBeNull(); // nor a vocabulary
    expect(s.model).toMatchObject({ architecture: 'bert-mlm', params: 26, groups: 26, size: 328 });
    expect(s.groups.map((g) => g.name)).toEqual(artifact.model.groups.map((g) => g.name));
    const emb = s.groups.find((g) => g.name === 'embeddings.word_embeddings')!;
    expect(emb).toEqual({
      name: 'embeddings.word_embeddings',
      shape: [16, 4],
      size: 64,
      params: ['embeddings.word_embeddings'],
      schedule: {
        knots: [
          [0, 40],
          [0.01, 10],
          [0.02, 5],
        ],
      },
      spread: artifact.groups['embeddings.word_embeddings'].spread,
      fitError: 0.125,
      flags: ['spread'],
    });
    expect(s.checksum).toBe(artifact.checksum);
  });

  it('survives JSON unchanged', () => {
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
