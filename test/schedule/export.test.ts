import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { decodeArtifact } from '../../src/schedule/artifact.js';
import { exportScheduleJson, exportScheduleTorch } from '../../src/schedule/export.js';

const artifact = decodeArtifact(fs.readFileSync(new URL('../fixtures/schedule-v1.graft', import.meta.url)));

describe('exportScheduleTorch', () => {
  const t = exportScheduleTorch(artifact);

  it('keys every parameter by its Hugging Face BertForMaskedLM name', () => {
    // The full list of BertForMaskedLM.named_parameters() for one layer (decoder tied, no pooler).
    const expected = [
      'bert.embeddings.word_embeddings.weight',
      'bert.embeddings.position_embeddings.weight',
      'bert.embeddings.token_type_embeddings.weight',
      'bert.embeddings.LayerNorm.weight',
      'bert.embeddings.LayerNorm.bias',
      ...[
        'attention.self.query',
        'attention.self.key',
        'attention.self.value',
        'attention.output.dense',
        'attention.output.LayerNorm',
        'intermediate.dense',
        'output.dense',
        'output.LayerNorm',
      ].flatMap((m) => [`bert.encoder.layer.0.${m}.weight`, `bert.encoder.layer.0.${m}.bias`]),
      'cls.predictions.bias',
      'cls.predictions.transform.dense.weight',
      'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.LayerNorm.weight',
      'cls.predictions.transform.LayerNorm.bias',
    ];
    expect(Object.keys(t.params).sort()).toEqual(expected.sort());
  });

  it('carries each group schedule, the base schedule and the tied names', () => {
    expect(t.params['bert.embeddings.word_embeddings.weight']).toEqual({
      group: 'embeddings.word_embeddings',
      knots: [
        [0, 40],
        [0.01, 10],
        [0.02, 5],
      ],
    });
    expect(t.params['bert.encoder.layer.0.attention.output.LayerNorm.weight']).toEqual({
      group: 'encoder.layer.0.attention.output.LayerNorm.gamma',
      constant: (artifact.groups['encoder.layer.0.attention.output.LayerNorm.gamma'] as { constant: number }).constant,
    });
    expect(t.params['cls.predictions.bias']).toEqual({ group: 'cls.predictions.bias', constant: 2 ** -8 }); // group 0 of the fixture
    expect(t.tied).toEqual({
      'cls.predictions.decoder.weight': 'bert.embeddings.word_embeddings.weight',
      'cls.predictions.decoder.bias': 'cls.predictions.bias',
    });
    expect(t.baseSchedule).toEqual({ kind: 'base', peakLr: 0.001, warmupSteps: 120, totalSteps: 1200, decay: 'linear', endLr: 0 });
    expect(t.baseScheduleTotalSteps).toBe(1200);
    expect(t.source.checksum).toBe(artifact.checksum);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t); // plain JSON
  });
});

describe('exportScheduleJson', () => {
  it('keeps fractions without a length', () => {
    const j = exportScheduleJson(artifact);
    expect(j.timeUnit).toBe('fraction');
    expect(j.totalSteps).toBe(1200);
    expect(j.groups['embeddings.word_embeddings']).toEqual({
      knots: [
        [0, 40],
        [0.01, 10],
        [0.02, 5],
      ],
    });
    expect(j.params['encoder.layer.0.output.dense.kernel']).toBe('encoder.layer.0.output.dense.kernel');
    expect(Object.keys(j.params).length).toBe(artifact.model.params.length);
  });

  it('converts knots to steps and stretches the base schedule to a given length', () => {
    const j = exportScheduleJson(artifact, 50_000);
    expect(j.timeUnit).toBe('step');
    // fractions 0, 0.01, 0.02 of 50 000 steps = steps 0, 500, 1000
    expect(j.groups['embeddings.word_embeddings']).toEqual({
      knots: [
        [0, 40],
        [500, 10],
        [1000, 5],
      ],
    });
    // warmup 120 of 1200 -> 120 * 50000 / 1200 = 5000 of 50000
    expect(j.baseSchedule).toEqual({ kind: 'base', peakLr: 0.001, warmupSteps: 5000, totalSteps: 50_000, decay: 'linear', endLr: 0 });
    expect(() => exportScheduleJson(artifact, 0)).toThrow('totalSteps = 0 is invalid');
  });
});

describe('schedule target in exports and inspect', () => {
  it('an older artifact without options.target exports as multiplier; a stepNorm one says so everywhere', async () => {
    const { artifactSummaryJson, formatArtifactTable } = await import('../../src/schedule/inspect.js');
    expect(exportScheduleJson(artifact).target).toBe('multiplier');
    expect(exportScheduleTorch(artifact).target).toBe('multiplier');
    const stepNorm = {
      ...artifact,
      compression: { ...artifact.compression, options: { ...artifact.compression.options, target: 'stepNorm' as const } },
    };
    expect(exportScheduleJson(stepNorm).target).toBe('stepNorm');
    expect(exportScheduleTorch(stepNorm).target).toBe('stepNorm');
    expect(artifactSummaryJson(stepNorm).target).toBe('stepNorm');
    const table = formatArtifactTable(stepNorm);
    expect(table).toContain('g[G] / ||g[G]||');
    expect(table).toMatch(/^group\s+shape\s+step norm\s+per coord\s+IQR ln m/m);
    // "per coord" is each group's held value over sqrt(size).
    for (const g of stepNorm.model.groups) {
      const s = stepNorm.groups[g.name];
      const held = 'constant' in s ? s.constant : s.knots[s.knots.length - 1][1];
      const lines = table.split('\n');
      const column = lines.find((l) => l.startsWith('group '))!.indexOf('per coord');
      const cell = lines
        .find((l) => l.startsWith(`${g.name} `))!
        .slice(column)
        .split(/\s+/)[0];
      expect(Math.abs(Number(cell) / (held / Math.sqrt(g.size)) - 1)).toBeLessThan(5e-3); // 3 significant digits
    }
  });
});
