/**
 * The picture of a schedule artifact: small multiples, one panel per parameter type. Groups named
 * `<prefix>.<N>.<rest>` (e.g. encoder.layer.3.attention.self.query.kernel) share the panel `<rest>` and are
 * coloured by N (a layer index); other groups share a panel per first name component (embeddings, cls)
 * with a small legend. In each panel: the probe's downsampled trace, faded, and the compressed schedule,
 * bold, on a log y axis, both in the artifact's quantity (multiplier c_G or step norm m_G, trace-points.ts);
 * x is the fraction of training.
 */
import type { ArtifactBody } from '../schedule/artifact.js';
import { multiplierAt, type GroupSchedule } from '../schedule/interpolate.js';
import type { Trace } from '../schedule/trace.js';
import { PALETTE, renderLegend, renderPanel, svgDocument, text, type Series } from './chart.js';
import { tracePoints } from './trace-points.js';

interface Placement {
  panel: string;
  label: string;
  layer: number | null;
}

/** Which panel a group goes to, its label there, and its layer index if it has one. */
export function placeGroup(name: string): Placement {
  const m = /^(.*?)\.(\d+)\.(.+)$/.exec(name);
  if (m) return { panel: m[3], label: m[2], layer: Number(m[2]) };
  const dot = name.indexOf('.');
  return dot < 0 ? { panel: name, label: name, layer: null } : { panel: name.slice(0, dot), label: name.slice(dot + 1), layer: null };
}

const ANCHORS = [
  [0x44, 0x01, 0x54],
  [0x3b, 0x52, 0x8b],
  [0x21, 0x91, 0x8c],
  [0x5e, 0xc9, 0x62],
  [0xc8, 0xb7, 0x00],
];

/** Colour i of n along a viridis-like ramp (dark purple -> blue -> green -> dark yellow). */
export function rampColor(i: number, n: number): string {
  const t = n <= 1 ? 0 : i / (n - 1);
  const s = t * (ANCHORS.length - 1),
    k = Math.min(Math.floor(s), ANCHORS.length - 2),
    w = s - k;
  const rgb = ANCHORS[k].map((a, j) => Math.round(a + w * (ANCHORS[k + 1][j] - a)));
  return '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join('');
}

/** Points of a schedule over [0, xMax]: the knots (straight on a log axis between them) and the ends. */
function schedulePoints(s: GroupSchedule, xMax: number): [number, number][] {
  const xs = [0, ...('knots' in s ? s.knots.map((k) => k[0]).filter((x) => x > 0 && x < xMax) : []), xMax];
  return xs.map((x) => [x, multiplierAt(s, x)]);
}

export interface PlotOptions {
  columns?: number; // default min(4, panels)
  panelWidth?: number; // default 300
  panelHeight?: number; // default 200
  /** The probe's raw trace (.trace file): a step-norm artifact's trace is drawn from it (trace-points.ts). */
  trace?: Trace;
}

/** Axis label and subtitle formula of each quantity. */
const QUANTITY = {
  multiplier: { axis: 'multiplier c_G', formula: (opt: string) => `multiplier c = ||u_${opt}|| / (eta ||g||)` },
  stepNorm: { axis: 'step norm m_G', formula: (opt: string) => `step norm m = ||u_${opt}|| / eta` },
};

/** The artifact as an SVG document (see the module comment). */
export function plotArtifact(a: ArtifactBody, options: PlotOptions = {}): string {
  const groups = a.model.groups.map((g) => g.name);
  const G = groups.length;
  const horizon = a.probe.steps / a.probe.totalSteps;
  const xMax = horizon >= 0.5 ? 1 : Math.min(1, horizon * 1.6);
  const placed = groups.map(placeGroup);
  const layers = [...new Set(placed.filter((p) => p.layer !== null).map((p) => p.layer as number))].sort((x, y) => x - y);
  // Panel order: embeddings, then first-appearance order, with the output head (cls) last.
  const rank = (panel: string) => (panel === 'embeddings' ? 0 : panel === 'cls' ? 2 : 1);
  const panels = [...new Set(placed.map((p) => p.panel))].sort((x, y) => rank(x) - rank(y));
  const flagged = new Set(a.compression.flagged);
  const trace = tracePoints(a, options.trace);
  const quantity = QUANTITY[trace.quantity];

  const specs = panels.map((panel) => {
    const members = groups.map((name, g) => ({ name, g, p: placed[g] })).filter((m) => m.p.panel === panel);
    const series: Series[] = [];
    members.forEach((m, i) => {
      const color = m.p.layer !== null ? rampColor(layers.indexOf(m.p.layer), layers.length) : PALETTE[i % PALETTE.length];
      if (trace.perGroup) series.push({ name: m.p.label, points: trace.perGroup[m.g], color, width: 1, opacity: 0.35, legend: false });
      series.push({ name: m.p.label, points: schedulePoints(a.groups[m.name], xMax), color, width: 2.4 });
    });
    const badMembers = members.filter((m) => flagged.has(m.name)).sort((x, y) => (x.p.layer ?? 0) - (y.p.layer ?? 0));
    const bad =
      badMembers.length > 2 && badMembers.length === members.length && members.every((m) => m.p.layer !== null)
        ? [`all ${members.length} layers`]
        : badMembers.map((m) => m.p.label);
    // Panels of differently named tensors (no layer index) get a legend and twice the width.
    const legend = members.some((m) => m.p.layer === null) && members.length > 1;
    return { panel, series, legend, note: bad.length ? `flagged: ${bad.join(', ')}` : undefined };
  });

  const cols = Math.max(
    2,
    options.columns ??
      Math.min(
        4,
        specs.reduce((n, s) => n + (s.legend ? 2 : 1), 0),
      ),
  );
  const pw = options.panelWidth ?? 300,
    ph = options.panelHeight ?? 200;
  const headerH = 74;
  const cells = flowLayout(
    specs.map((s) => (s.legend ? 2 : 1)),
    cols,
  );
  const rows = Math.max(...cells.map((c) => c.row)) + 1;
  const width = cols * pw + 16,
    height = headerH + rows * ph + 26;
  const body: string[] = [];
  body.push(
    text(
      12,
      22,
      `graftlr schedule: ${a.model.architecture}, ${G} groups, method ${a.compression.method}`,
      'font-size="16" font-weight="bold" fill="#222222"',
    ),
  );
  body.push(
    text(
      12,
      40,
      `probe ${a.probe.magnitude.name}#${a.probe.direction.name}, ${a.probe.steps} of ${a.probe.totalSteps} planned steps; ` +
        `${quantity.formula(a.probe.magnitude.name)} per group, log scale; x = fraction of training`,
      'font-size="11" fill="#444444"',
    ),
  );
  const faded = trace.perGroup ? 'faded: probe trace (median per point); ' : trace.missing ? `${trace.missing}; ` : '';
  body.push(
    text(
      12,
      55,
      `${faded}bold: compressed schedule, held constant after the probe (dashed line) to x = 1`,
      'font-size="11" fill="#444444"',
    ),
  );
  if (layers.length > 0) {
    body.push(text(12, 69, 'layer:', 'font-size="11" fill="#222222"'));
    layers.forEach((l, i) => {
      const x = 56 + i * 34;
      body.push(
        `<rect x="${x}" y="61" width="12" height="9" fill="${rampColor(i, layers.length)}"/>` +
          text(x + 15, 69, String(l), 'font-size="11" fill="#222222"'),
      );
    });
  }
  specs.forEach((s, i) => {
    const { row, col, span } = cells[i];
    const legendW = s.legend ? Math.min(pw, 30 + 6.2 * Math.max(...s.series.map((x) => x.name.length))) : 0;
    const box = { x: 8 + col * pw, y: headerH + row * ph, w: span * pw - 6 - legendW, h: ph - 6 };
    body.push(
      renderPanel(
        {
          title: s.panel,
          note: s.note,
          yLabel: quantity.axis,
          logY: true,
          xDomain: [0, xMax],
          series: s.series,
          vLines: horizon < xMax ? [{ x: horizon, label: 'probe end' }] : [],
        },
        box,
      ),
    );
    if (s.legend) body.push(renderLegend(s.series, box.x + box.w + 6, box.y + 40));
  });
  body.push(
    text(
      12,
      height - 8,
      `created ${a.createdAt} by ${a.tool.name} ${a.tool.version}; model ${a.model.fingerprint.slice(7, 19)}`,
      'font-size="10" fill="#888888"',
    ),
  );
  return svgDocument(width, height, body.join('\n'));
}

/** Places items of width 1 or 2 cells left to right, wrapping to a new row when one does not fit. */
function flowLayout(spans: number[], cols: number): { row: number; col: number; span: number }[] {
  let row = 0,
    col = 0;
  return spans.map((span) => {
    if (col + span > cols) {
      row++;
      col = 0;
    }
    const cell = { row, col, span };
    col += span;
    return cell;
  });
}
