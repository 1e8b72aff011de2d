import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { decodeArtifact } from '../../src/schedule/artifact.js';
import { placeGroup, plotArtifact, rampColor } from '../../src/plot/artifact-plot.js';
import { renderPng } from '../../src/plot/png.js';
import { PNG_SIGNATURE, pngSize } from './png-helpers.js';

const artifact = decodeArtifact(fs.readFileSync(new URL('../fixtures/schedule-v1.graft', import.meta.url)));

describe('placeGroup', () => {
  it('puts layer groups in a panel per parameter type, others per first name component', () => {
    expect(placeGroup('encoder.layer.3.attention.self.query.kernel')).toEqual({
      panel: 'attention.self.query.kernel',
      label: '3',
      layer: 3,
    });
    expect(placeGroup('cls.predictions.bias')).toEqual({ panel: 'cls', label: 'predictions.bias', layer: null });
    expect(placeGroup('global')).toEqual({ panel: 'global', label: 'global', layer: null });
  });

  it('colours layers along a ramp from dark purple to dark yellow', () => {
    expect(rampColor(0, 12)).toBe('#440154');
    expect(rampColor(11, 12)).toBe('#c8b700');
    expect(rampColor(0, 1)).toBe('#440154');
  });
});

describe('plotArtifact', () => {
  const svg = plotArtifact(artifact);

  it('draws every group twice (faded trace, bold schedule) in 18 panels', () => {
    const strokes = [...svg.matchAll(/<path d="[^"]*" fill="none" stroke="[^"]+" stroke-width="([\d.]+)"/g)].map((m) => m[1]);
    expect(strokes.filter((w) => w === '2.4').length).toBe(26);
    expect(strokes.filter((w) => w === '1').length).toBe(26);
    // 16 per-layer parameter types (one layer) + embeddings + cls
    const titles = [...svg.matchAll(/font-weight="bold" fill="#222222">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(titles.length).toBe(1 + 18);
    expect(titles[1]).toBe('embeddings');
    expect(titles[titles.length - 1]).toBe('cls');
    expect(svg).toContain('>flagged: word_embeddings</text>');
  });

  it('renders a PNG of the laid-out size', () => {
    // 4 columns of 300 px + 16; rows: [embeddings(2) + 2 types], 3 x [4 types], [2 types + cls(2)] = 5 rows of 200
    // + 74 header + 26 footer = 1100.
    const png = renderPng(svg);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(pngSize(png)).toEqual([1216, 1100]);
    expect(png.length).toBeGreaterThan(50_000);
    expect(png.length).toBeLessThan(5_000_000);
  });

  it('works without a stored trace', () => {
    const { trace: _, ...noTrace } = artifact;
    const s = plotArtifact(noTrace);
    expect([...s.matchAll(/<path d="[^"]*" fill="none" stroke="[^"]+" stroke-width="2.4"/g)].length).toBe(26);
    expect([...s.matchAll(/fill="none" stroke="[^"]+" stroke-width="1"/g)].length).toBe(0);
  });
});
