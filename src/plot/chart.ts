/**
 * A small SVG line-chart builder (pure: strings in, string out). A *panel* is one set of axes with
 * ticks, labels, optional log-scale y, and any number of series; `lineChart` is a whole SVG holding
 * one panel and a legend. Points with a non-finite y (or y <= 0 on a log axis) break a line.
 */
import { extent, formatTick, makeScale } from './scale.js';

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  color?: string;
  width?: number; // stroke width in px (default 1.8)
  opacity?: number; // default 1
  dash?: string; // SVG stroke-dasharray, e.g. "4 3"
  legend?: boolean; // default true
}

export interface PanelSpec {
  title?: string;
  note?: string; // second title line, drawn in red (e.g. flagged groups)
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  xDomain?: [number, number];
  yDomain?: [number, number];
  series: readonly Series[];
  vLines?: readonly { x: number; label: string }[];
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const FONT = 'DejaVu Sans, Arial, sans-serif';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r1 = (v: number) => Math.round(v * 10) / 10;

export function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${r1(x)}" y="${r1(y)}" font-family="${FONT}" ${attrs}>${escapeXml(s)}</text>`;
}

/** Renders one panel into `box` (the whole panel area, labels included). */
export function renderPanel(p: PanelSpec, box: Box): string {
  const top = box.y + (p.title ? 18 : 6) + (p.note ? 13 : 0);
  const left = box.x + (p.yLabel ? 62 : 46);
  const bottom = box.y + box.h - (p.xLabel ? 36 : 22);
  const right = box.x + box.w - 10;
  const xs = p.series.flatMap((s) => s.points.map((q) => q[0]));
  const ys = p.series.flatMap((s) => s.points.map((q) => q[1]));
  const log = p.logY ?? false;
  const sx = makeScale(p.xDomain ?? extent(xs, false, 0), [left, right], false, Math.max(2, Math.floor((right - left) / 70)));
  const sy = makeScale(p.yDomain ?? extent(ys, log), [bottom, top], log, Math.max(2, Math.floor((bottom - top) / 40)));
  const out: string[] = [];
  out.push(
    `<rect x="${r1(left)}" y="${r1(top)}" width="${r1(right - left)}" height="${r1(bottom - top)}" fill="#ffffff" stroke="#999999" stroke-width="0.8"/>`,
  );
  for (const t of sy.ticks) {
    const y = sy.map(t);
    out.push(`<line x1="${r1(left)}" x2="${r1(right)}" y1="${r1(y)}" y2="${r1(y)}" stroke="#e6e6e6" stroke-width="0.8"/>`);
    out.push(text(left - 5, y + 3.5, formatTick(t), 'font-size="10" text-anchor="end" fill="#444444"'));
  }
  for (const t of sx.ticks) {
    const x = sx.map(t);
    out.push(`<line x1="${r1(x)}" x2="${r1(x)}" y1="${r1(bottom)}" y2="${r1(bottom + 4)}" stroke="#999999" stroke-width="0.8"/>`);
    out.push(text(x, bottom + 15, formatTick(t), 'font-size="10" text-anchor="middle" fill="#444444"'));
  }
  for (const v of p.vLines ?? []) {
    const x = sx.map(v.x);
    if (x < left || x > right) continue;
    out.push(
      `<line x1="${r1(x)}" x2="${r1(x)}" y1="${r1(top)}" y2="${r1(bottom)}" stroke="#777777" stroke-width="1" stroke-dasharray="3 3"/>`,
    );
    out.push(text(x - 3, top + 10, v.label, 'font-size="9" text-anchor="end" fill="#777777"'));
  }
  out.push(
    `<clipPath id="clip${r1(box.x)}_${r1(box.y)}"><rect x="${r1(left)}" y="${r1(top)}" width="${r1(right - left)}" height="${r1(bottom - top)}"/></clipPath>`,
  );
  out.push(`<g clip-path="url(#clip${r1(box.x)}_${r1(box.y)})">`);
  p.series.forEach((s, i) => {
    const d = pathData(s.points, sx.map, sy.map, log);
    if (!d) return;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color ?? PALETTE[i % PALETTE.length]}" stroke-width="${s.width ?? 1.8}" stroke-opacity="${s.opacity ?? 1}" stroke-linejoin="round"${dash}/>`,
    );
  });
  out.push('</g>');
  if (p.title) out.push(text(left, box.y + 13, p.title, 'font-size="12" font-weight="bold" fill="#222222"'));
  if (p.note) out.push(text(left, box.y + 13 + (p.title ? 13 : 0), p.note, 'font-size="10" fill="#c0392b"'));
  if (p.xLabel) out.push(text((left + right) / 2, box.y + box.h - 6, p.xLabel, 'font-size="11" text-anchor="middle" fill="#222222"'));
  if (p.yLabel) {
    const cy = (top + bottom) / 2,
      cx = box.x + 14;
    out.push(text(cx, cy, p.yLabel, `font-size="11" text-anchor="middle" fill="#222222" transform="rotate(-90 ${r1(cx)} ${r1(cy)})"`));
  }
  return out.join('\n');
}

/** SVG path "M x y L x y ..." with a new "M" after every gap (non-finite or, on a log axis, non-positive y). */
function pathData(points: Series['points'], fx: (v: number) => number, fy: (v: number) => number, log: boolean): string {
  const parts: string[] = [];
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y) || (log && y <= 0)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${r1(fx(x))} ${r1(fy(y))}`);
    pen = true;
  }
  return parts.join(' ');
}

/** Legend rows (colour swatch + name) starting at (x, y), one per series with legend !== false. */
export function renderLegend(series: readonly Series[], x: number, y: number, rowHeight = 16): string {
  return series
    .filter((s) => s.legend !== false)
    .map((s, i) => {
      const yy = y + i * rowHeight;
      const color = s.color ?? PALETTE[series.indexOf(s) % PALETTE.length];
      return (
        `<line x1="${x}" x2="${x + 18}" y1="${yy}" y2="${yy}" stroke="${color}" stroke-width="${Math.max(2, s.width ?? 1.8)}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>` +
        text(x + 24, yy + 4, s.name, 'font-size="11" fill="#222222"')
      );
    })
    .join('\n');
}

export function svgDocument(width: number, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>\n${body}\n</svg>\n`
  );
}

export interface LineChartSpec extends PanelSpec {
  title: string;
  width?: number; // default 820
  height?: number; // default 480
}

/** A complete SVG line chart: title, axes, series, and a legend on the right. */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 820,
    height = spec.height ?? 480;
  const named = spec.series.filter((s) => s.legend !== false);
  const legendW = named.length > 0 ? Math.min(260, 40 + 7 * Math.max(...named.map((s) => s.name.length))) : 0;
  const body = [
    text(16, 24, spec.title, 'font-size="16" font-weight="bold" fill="#222222"'),
    renderPanel({ ...spec, title: undefined }, { x: 8, y: 34, w: width - legendW - 16, h: height - 42 }),
    renderLegend(spec.series, width - legendW, 60),
  ];
  return svgDocument(width, height, body.join('\n'));
}
