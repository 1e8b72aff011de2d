import { describe, expect, it } from 'vitest';
import { lineChart } from '../../src/plot/chart.js';
import { renderPng } from '../../src/plot/png.js';
import { PNG_SIGNATURE, pngSize } from './png-helpers.js';

/** [d, stroke] of every <path> in an SVG. */
function paths(svg: string): { d: string; stroke: string }[] {
  return [...svg.matchAll(/<path d="([^"]*)" fill="none" stroke="([^"]+)"/g)].map((m) => ({ d: m[1], stroke: m[2] }));
}

describe('lineChart', () => {
  const svg = lineChart({
    title: 'Loss <held-out> & more',
    xLabel: 'step',
    yLabel: 'loss',
    logY: true,
    xDomain: [0, 10],
    yDomain: [1, 100],
    series: [
      {
        name: 'adam',
        points: [
          [0, 1],
          [5, 10],
          [10, 100],
        ],
      },
      {
        name: 'sgd',
        points: [
          [0, 2],
          [1, NaN],
          [2, 3],
          [3, -1],
          [4, 5],
        ],
        dash: '4 3',
      },
    ],
  });

  it('draws one path per series, log-spaced, with gaps at missing or non-positive values', () => {
    const [a, b] = paths(svg);
    const pts = a.d
      .split(/ ?[ML]/)
      .filter(Boolean)
      .map((p) => p.split(' ').map(Number));
    expect(pts.length).toBe(3);
    // x = 5 is halfway between 0 and 10; y = 10 is halfway between 1 and 100 on a log axis (pixels rounded to 0.1).
    expect(Math.abs(pts[1][0] - (pts[0][0] + pts[2][0]) / 2)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(pts[1][1] - (pts[0][1] + pts[2][1]) / 2)).toBeLessThanOrEqual(0.1);
    expect(pts[0][1]).toBeGreaterThan(pts[2][1]); // larger values are higher up
    // NaN and -1 each break the line: three pieces, three moves.
    expect(b.d.match(/M/g)!.length).toBe(3);
    expect(b.d.match(/L/g)).toBeNull();
    expect(a.stroke).not.toBe(b.stroke);
  });

  it('escapes text, labels the axes, and lists the series in a legend', () => {
    expect(svg).toContain('>Loss &lt;held-out&gt; &amp; more</text>');
    expect(svg).toContain('>step</text>');
    expect(svg).toContain('>loss</text>');
    expect(svg).toContain('>adam</text>');
    expect(svg).toContain('>sgd</text>');
    for (const tick of ['1', '10', '100']) expect(svg).toContain(`>${tick}</text>`); // decades of [1, 100]
  });

  it('renders to a PNG of the SVG size, with text drawn from system fonts', () => {
    const png = renderPng(svg);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(pngSize(png)).toEqual([820, 480]);
    expect(pngSize(renderPng(svg, 2))).toEqual([1640, 960]);
    // The same page without text compresses to far fewer bytes if the fonts drew nothing.
    const blank = renderPng(svg.replace(/<text[^>]*>[^<]*<\/text>/g, ''));
    expect(png.length).toBeGreaterThan(blank.length + 2000);
  });
});
