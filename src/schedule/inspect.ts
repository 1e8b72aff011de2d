/**
 * Human- and machine-readable views of a schedule artifact (`graftlr inspect`, `inspect --json`).
 */
import { probeStartSeed, type Artifact, type ArtifactBody } from './artifact.js';
import { scheduleTarget, type ScheduleTarget } from './rule.js';
import { shortHash } from '../formats/codec.js';
import type { CompressOptions, SpreadStats } from './compress.js';
import { multiplierAt, type GroupSchedule } from './interpolate.js';
import type { PlainRecord, ProbeInfo } from './model-info.js';
import { factorCount, preconditionerSpread, type Preconditioner } from './second-moments.js';

/** The factored preconditioner at a glance: per tensor its stored factors, eps and max/min P. */
export interface PreconditionerSummary {
  kind: string;
  epsRatio: number;
  /** Adam's step count at which the second moments were read. */
  step: number;
  /** Stored factor values (float32) and their bytes: O(rows + cols) per matrix. */
  values: number;
  bytes: number;
  tensors: { name: string; shape: number[]; factors: number; eps: number; spread: number }[];
}

export function preconditionerSummary(a: Pick<ArtifactBody, 'model'> & { preconditioner?: Preconditioner }): PreconditionerSummary | null {
  const p = a.preconditioner;
  if (!p) return null;
  const tensors = a.model.params.map((m) => {
    const f = p.params[m.name];
    return { name: m.name, shape: m.shape, factors: factorCount(f), eps: f.eps, spread: preconditionerSpread(f) };
  });
  const values = tensors.reduce((n, t) => n + t.factors, 0);
  return { kind: p.kind, epsRatio: p.epsRatio, step: p.step, values, bytes: 4 * values, tensors };
}

function preconditionerLines(a: ArtifactBody): string[] {
  const s = preconditionerSummary(a);
  if (!s) return [];
  const rows = s.tensors.map((t) => [
    t.name,
    t.shape.join('x'),
    t.shape.length === 2 ? `${t.shape[0]}+${t.shape[1]}` : String(t.factors),
    formatNumber(t.eps),
    formatNumber(t.spread),
  ]);
  const head = ['tensor', 'shape', 'factors', 'eps', 'max/min P'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [
    '',
    `factored preconditioner (Adam v_hat at step ${s.step}; P = 1/sqrt(R_i C_j / mean R + eps^2)):`,
    line(head),
    ...rows.map(line),
  ];
}

/** 3 significant digits; exponent form outside [1e-3, 1e5). */
export function formatNumber(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (v !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

function formatRecord(r: object): string {
  return Object.entries(r)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** "0.25" for a constant; "3 knots in [0, 0.02]: 40 -> 10 -> 5" (at most 4 values shown). */
export function formatSchedule(s: GroupSchedule): string {
  if ('constant' in s) return formatNumber(s.constant);
  const cs = s.knots.map((k) => formatNumber(k[1]));
  const shown = cs.length <= 4 ? cs : [cs[0], cs[1], '...', cs[cs.length - 1]];
  const span = `[${formatNumber(s.knots[0][0])}, ${formatNumber(s.knots[s.knots.length - 1][0])}]`;
  return `${s.knots.length} knots in ${span}: ${shown.join(' -> ')}`;
}

function flagsOf(a: ArtifactBody, group: string): string[] {
  const c = a.compression;
  const out: string[] = [];
  if (c.noData.includes(group)) out.push('no-data');
  else if (c.flagged.includes(group)) out.push('spread');
  if (c.clamped.includes(group)) out.push('clamped');
  return out;
}

function withoutMethod({ method: _, ...rest }: CompressOptions): Omit<CompressOptions, 'method'> {
  return rest;
}

function probeLine(p: ProbeInfo): string {
  return `${p.magnitude.name}(${formatRecord(p.magnitude.hyperparameters)}) # ${p.direction.name}(${formatRecord(p.direction.hyperparameters)})`;
}

/** The probe's tokenizer, and whether the artifact carries its vocabulary (what re-indexes token-indexed entries for another tokenizer). */
function tokenizerLine(a: ArtifactBody): string {
  const t = a.probe.tokenizer;
  const head = t ? `${t.vocabSize.toLocaleString('en-US')} tokens, fingerprint ${shortHash(t.fingerprint)}` : 'not recorded';
  const v = vocabularySummary(a);
  return v
    ? `${head}; vocabulary and token counts recorded (${v.countedTokens.toLocaleString('en-US')} training tokens): train re-indexes token-indexed entries for another tokenizer`
    : `${head}; no vocabulary recorded: train applies token-indexed entries as they are`;
}

/** The recorded vocabulary's size and the number of training tokens its counts cover; null when none is recorded. */
export function vocabularySummary(a: Pick<ArtifactBody, 'vocabulary'>): { tokens: number; countedTokens: number } | null {
  if (!a.vocabulary) return null;
  return { tokens: a.vocabulary.tokens.length, countedTokens: a.vocabulary.counts.reduce((n, c) => n + c, 0) };
}

/** A plain-text report: provenance header, then one row per group. */
export function formatArtifactTable(a: ArtifactBody & { checksum?: string }): string {
  const c = a.compression;
  const p = a.probe;
  const size = a.model.groups.reduce((n, g) => n + g.size, 0);
  const header = [
    `${a.format} v${a.version}, created ${a.createdAt} by ${a.tool.name} ${a.tool.version}${a.checksum ? `, checksum ${shortHash(a.checksum)}` : ''}`,
    `model:       ${a.model.architecture}, ${a.model.params.length} parameters in ${a.model.groups.length} groups (${size.toLocaleString('en-US')} values), fingerprint ${shortHash(a.model.fingerprint)}`,
    `probe:       ${probeLine(p)}`,
    `             ${p.steps} of ${p.totalSteps} planned steps, batch ${p.batchSize} x seq ${p.seqLen}, seed ${p.seed}, grouping ${p.grouping}, backend ${p.backend}, engine ${p.engine}, data ${shortHash(p.dataFingerprint)}`,
    ...(p.proxy
      ? [
          `             on a ${p.proxy.numLayers}-layer proxy of the ${p.proxy.layerMap.length}-layer model: layer k's groups from proxy layer ${p.proxy.layerMap.map((j, k) => `${k}<-${j}`).join(', ')}`,
        ]
      : []),
    `corpus:      ${p.corpus ?? 'not recorded'}`,
    `tokenizer:   ${tokenizerLine(a)}`,
    `base lr:     ${formatRecord(p.baseSchedule)}`,
    `values:      ${
      scheduleTarget(a) === 'stepNorm'
        ? 'step norm m_G = ||u_Adam[G]|| / eta; train: w[G] -= eta(t) * s * m_G * g[G] / ||g[G]||'
        : 'multiplier c_G = ||u_Adam[G]|| / (eta ||g[G]||); train: w[G] -= eta(t) * s * c_G * g[G]'
    }`,
    `precond:     ${
      a.preconditioner
        ? `factored, ${preconditionerSummary(a)!.values.toLocaleString('en-US')} float32 factors (${preconditionerSummary(a)!.bytes.toLocaleString('en-US')} bytes), eps ratio ${formatNumber(a.preconditioner.epsRatio)}; train on d = P * g`
        : 'none'
    }`,
    ...(probeStartSeed(a) !== undefined
      ? [
          `             its row and column factors describe the seed-${probeStartSeed(a)} initial weights the probe started from: train starts there (--init-seed to choose)`,
        ]
      : []),
    `compression: ${c.method} (${formatRecord(withoutMethod(c.options))})`,
    `             ${c.flagged.length} flagged (IQR of ln ${scheduleTarget(a) === 'stepNorm' ? 'm' : 'c'} > ${formatNumber(c.options.flagSpread)} or no data), ${c.clamped.length} clamped, ${c.noData.length} without data`,
    '',
  ];
  // Step norms grow like sqrt(size); "per coord" is the held m_G / sqrt(size_G), what --cap-ratio compares.
  const stepNorm = scheduleTarget(a) === 'stepNorm';
  const rows = a.model.groups.map((g) => {
    const s = a.groups[g.name];
    const perCoordinate = stepNorm ? [formatNumber(multiplierAt(s, Infinity) / Math.sqrt(g.size))] : [];
    return [
      g.name,
      g.shape.join('x'),
      formatSchedule(s),
      ...perCoordinate,
      formatNumber(s.spread.iqrLog),
      formatNumber(c.fitError[g.name] ?? null),
      flagsOf(a, g.name).join(','),
    ];
  });
  const head = ['group', 'shape', ...(stepNorm ? ['step norm', 'per coord', 'IQR ln m'] : ['multiplier', 'IQR ln c']), 'fit err', 'flags'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [...header, line(head), ...rows.map(line), ...preconditionerLines(a)].join('\n') + '\n';
}

export interface ArtifactSummary {
  format: string;
  version: number;
  createdAt: string;
  tool: { name: string; version: string };
  checksum: string | null;
  model: { architecture: string; fingerprint: string; params: number; groups: number; size: number; config: PlainRecord };
  probe: ProbeInfo;
  compression: { method: string; options: PlainRecord; flagged: string[]; clamped: string[]; noData: string[] };
  /** What the group values are: 'multiplier' (c_G) or 'stepNorm' (m_G); see src/schedule/export.ts. */
  target: ScheduleTarget;
  /** null without a preconditioner. */
  preconditioner: PreconditionerSummary | null;
  /** The recorded probe vocabulary (its size, the training tokens its counts cover); null when none. */
  vocabulary: { tokens: number; countedTokens: number } | null;
  groups: {
    name: string;
    shape: number[];
    size: number;
    params: string[];
    schedule: GroupSchedule;
    spread: SpreadStats;
    fitError: number | null;
    flags: string[];
  }[];
}

/**
 * Stable JSON view for `inspect --json` (keys always present, in this order; groups in model order;
 * flags from "spread", "no-data", "clamped"). JSON.stringify it.
 */
export function artifactSummaryJson(a: ArtifactBody & { checksum?: string }): ArtifactSummary {
  const c = a.compression;
  return {
    format: a.format,
    version: a.version,
    createdAt: a.createdAt,
    tool: { name: a.tool.name, version: a.tool.version },
    checksum: (a as Partial<Artifact>).checksum ?? null,
    model: {
      architecture: a.model.architecture,
      fingerprint: a.model.fingerprint,
      params: a.model.params.length,
      groups: a.model.groups.length,
      size: a.model.groups.reduce((n, g) => n + g.size, 0),
      config: a.model.config,
    },
    probe: a.probe,
    compression: { method: c.method, options: { ...c.options }, flagged: c.flagged, clamped: c.clamped, noData: c.noData },
    target: scheduleTarget(a),
    preconditioner: preconditionerSummary(a),
    vocabulary: vocabularySummary(a),
    groups: a.model.groups.map((g) => {
      const s = a.groups[g.name];
      const schedule: GroupSchedule = 'constant' in s ? { constant: s.constant } : { knots: s.knots };
      return {
        name: g.name,
        shape: g.shape,
        size: g.size,
        params: g.params,
        schedule,
        spread: s.spread,
        fitError: c.fitError[g.name] ?? null,
        flags: flagsOf(a, g.name),
      };
    }),
  };
}
