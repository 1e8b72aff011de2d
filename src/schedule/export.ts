/**
 * Schedules for other trainers. Both exports are plain JSON-safe objects (the CLI stringifies them);
 * artifacts/FORMAT.md ("Using a schedule in PyTorch or JAX") gives the recipes that consume them.
 *
 * In every export: lr_G(t) = base(t) * multiplier_G(t), multiplier log-linear between knots and held
 * outside them (multiplierAt), base = the probe's base schedule stretched to the run's length (scheduleRule, as train).
 */
import { hfName } from '../model/hf.js';
import type { BaseScheduleSpec } from '../optim/schedules.js';
import type { ArtifactBody } from './artifact.js';
import type { GroupSchedule } from './interpolate.js';
import { scheduleRule, type ScheduleTarget } from './rule.js';
import type { Preconditioner } from './second-moments.js';

export { scheduleTarget, type ScheduleTarget } from './rule.js';

/**
 * A factored preconditioner in JSON: per tensor `{rows, cols, eps}` (a matrix; v~_ij = rows_i cols_j / mean(rows))
 * or `{values, eps}` (any other tensor); P = 1 / sqrt(v~ + eps^2), applied to the gradient before each group
 * is normalised (target stepNorm). In the torch export rows/cols follow torch's layout: a Linear weight is
 * [out, in], so its rows are graftlr's column factors.
 */
export interface PreconditionerExport {
  kind: 'factored';
  epsRatio: number;
  params: Record<string, { rows: number[]; cols: number[]; eps: number } | { values: number[]; eps: number }>;
}

function exportPreconditioner(
  p: Preconditioner | undefined,
  rename: (name: string) => { key: string; transpose: boolean },
): PreconditionerExport | undefined {
  if (!p) return undefined;
  const params: PreconditionerExport['params'] = {};
  for (const [name, f] of Object.entries(p.params)) {
    const { key, transpose } = rename(name);
    if ('values' in f) params[key] = { values: Array.from(f.values), eps: f.eps };
    else if (transpose) params[key] = { rows: Array.from(f.cols), cols: Array.from(f.rows), eps: f.eps };
    else params[key] = { rows: Array.from(f.rows), cols: Array.from(f.cols), eps: f.eps };
  }
  return { kind: p.kind, epsRatio: p.epsRatio, params };
}

export interface ExportSource {
  checksum: string | null;
  fingerprint: string;
  createdAt: string;
  method: string;
}

/** Framework-neutral export keyed by graftlr names. */
export interface ScheduleJsonExport {
  format: 'graftlr.schedule-export';
  version: 1;
  source: ExportSource;
  /** How to apply the values (see ScheduleTarget). */
  target: ScheduleTarget;
  /** "fraction": knot times are t / totalSteps; "step": knot times are steps of `totalSteps`. */
  timeUnit: 'fraction' | 'step';
  /** The run length the step times and baseSchedule are laid out for (the probe's plan for "fraction"). */
  totalSteps: number;
  baseSchedule: BaseScheduleSpec;
  groups: Record<string, GroupSchedule>;
  /** parameter name -> group */
  params: Record<string, string>;
  /** Present iff the artifact has one: apply P * g before normalising each group (see PreconditionerExport). */
  preconditioner?: PreconditionerExport;
}

/** PyTorch export keyed by Hugging Face BertForMaskedLM parameter names. */
export interface TorchScheduleExport {
  format: 'graftlr.torch-schedule';
  version: 1;
  source: ExportSource;
  /** How to apply the values (see ScheduleTarget). */
  target: ScheduleTarget;
  /** Base schedule as probed, laid out for `baseScheduleTotalSteps`; the recipe stretches it. */
  baseSchedule: BaseScheduleSpec;
  baseScheduleTotalSteps: number;
  /** HF name -> its group and schedule (knot times are fractions of training). */
  params: Record<string, { group: string } & GroupSchedule>;
  /** Tied HF names -> the name whose entry they share (named_parameters() lists only the latter). */
  tied: Record<string, string>;
  /** Present iff the artifact has one, keyed by HF names in torch's layout (see PreconditionerExport). */
  preconditioner?: PreconditionerExport;
}

function sourceOf(a: ArtifactBody & { checksum?: string }): ExportSource {
  return { checksum: a.checksum ?? null, fingerprint: a.model.fingerprint, createdAt: a.createdAt, method: a.compression.method };
}

/** Only the schedule: a GroupEntry without its spread statistics. */
function scheduleOnly(s: GroupSchedule): GroupSchedule {
  return 'constant' in s ? { constant: s.constant } : { knots: s.knots.map(([f, c]) => [f, c] as [number, number]) };
}

/**
 * The schedule keyed by graftlr names. Without totalSteps knot times stay fractions of training; with
 * it, they become steps of a `totalSteps` run and the base schedule is stretched to that length.
 */
export function exportScheduleJson(artifact: ArtifactBody & { checksum?: string }, totalSteps?: number): ScheduleJsonExport {
  if (totalSteps !== undefined && !(Number.isInteger(totalSteps) && totalSteps >= 1)) {
    throw new Error(`totalSteps = ${totalSteps} is invalid: expected an integer >= 1 (the length of the run that will use the schedule)`);
  }
  const groups: Record<string, GroupSchedule> = {};
  for (const g of artifact.model.groups) {
    const s = scheduleOnly(artifact.groups[g.name]);
    groups[g.name] = totalSteps === undefined || 'constant' in s ? s : { knots: s.knots.map(([f, c]) => [f * totalSteps, c]) };
  }
  const rule = scheduleRule(artifact, { totalSteps: totalSteps ?? artifact.probe.totalSteps }); // what train would run
  const out: ScheduleJsonExport = {
    format: 'graftlr.schedule-export',
    version: 1,
    source: sourceOf(artifact),
    target: rule.target,
    timeUnit: totalSteps === undefined ? 'fraction' : 'step',
    totalSteps: totalSteps ?? artifact.probe.totalSteps,
    baseSchedule: totalSteps === undefined ? artifact.probe.baseSchedule : (rule.eta.spec as BaseScheduleSpec), // a base spec stays "base"
    groups,
    params: Object.fromEntries(artifact.model.params.map((p) => [p.name, p.group])),
  };
  const pre = exportPreconditioner(artifact.preconditioner, (name) => ({ key: name, transpose: false }));
  if (pre) out.preconditioner = pre;
  return out;
}

/**
 * The schedule keyed by Hugging Face PyTorch BERT names (embeddings.word_embeddings ->
 * bert.embeddings.word_embeddings.weight, *.kernel -> *.weight, LayerNorm gamma/beta -> weight/bias,
 * encoder.* -> bert.encoder.*, cls.* unchanged). A kernel is [in, out] here and [out, in] in torch;
 * for a scalar multiplier that does not matter. The tied decoder shares the word embeddings' entry.
 */
export function exportScheduleTorch(artifact: ArtifactBody & { checksum?: string }): TorchScheduleExport {
  const params: TorchScheduleExport['params'] = {};
  for (const p of artifact.model.params) {
    params[hfName(p.name).key] = { group: p.group, ...scheduleOnly(artifact.groups[p.group]) };
  }
  const tied: Record<string, string> = {};
  if (params['bert.embeddings.word_embeddings.weight']) tied['cls.predictions.decoder.weight'] = 'bert.embeddings.word_embeddings.weight';
  if (params['cls.predictions.bias']) tied['cls.predictions.decoder.bias'] = 'cls.predictions.bias';
  const rule = scheduleRule(artifact, { totalSteps: artifact.probe.totalSteps }); // the recipe stretches it as train does
  const out: TorchScheduleExport = {
    format: 'graftlr.torch-schedule',
    version: 1,
    source: sourceOf(artifact),
    target: rule.target,
    baseSchedule: artifact.probe.baseSchedule,
    baseScheduleTotalSteps: artifact.probe.totalSteps,
    params,
    tied,
  };
  const pre = exportPreconditioner(artifact.preconditioner, hfName);
  if (pre) out.preconditioner = pre;
  return out;
}
