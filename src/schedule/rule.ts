/**
 * The one reading of a schedule artifact: what a run of `totalSteps` steps does with it. Every engine (the
 * generic tfjs step, the fused ort step) and export-schedule take the artifact's meaning from here.
 *
 *   eta(t)           the probe's base schedule stretched to the run (stretchSchedule: warmup round(W S / T)),
 *                    or the run's own peak lr / warmup fraction / decay / end lr where it gives them
 *   c_G(t)           the artifact's value of group G at fraction t / S (multiplierAt)
 *   multiplier(G, t) = s(G) c_G(t)         s: the run's scale of group G (1 unless given)
 *   rate(G, t)       = eta(t) s(G) c_G(t)
 *   target multiplier: w[G] <- w[G] - rate(G, t) g[G]
 *   target stepNorm:   w[G] <- w[G] - rate(G, t) d[G] / ||d[G]||,  d = P g (P = 1 without a preconditioner)
 *
 * When the run gives its vocabulary and its tokenizer is not the probe's, P's token-indexed entries are re-indexed
 * for the run's token ids (token-remap.ts) from the vocabulary the artifact records; `tokens` says what was done.
 */
import type { CoordinateFactors } from '../optim/precondition.js';
import { baseSchedule, stretchSchedule } from '../optim/schedule-spec.js';
import type { BaseScheduleSpec, DescribedSchedule } from '../optim/schedules.js';
import type { GroupOf } from '../core/params.js';
import type { ArtifactBody } from './artifact.js';
import type { CompressTarget } from './compress.js';
import { artifactGroupOf, multiplierFn } from './interpolate.js';
import { remapPreconditioner, tokenEntryMap, type RunVocabulary, type TokenRemap } from './token-remap.js';

/**
 * What the per-group values mean (the artifact's compression.options.target):
 *   multiplier: lr_G(t) = base(t) * value_G(t), the update is -lr_G g[G];
 *   stepNorm:   the update is -base(t) * value_G(t) * g[G] / ||g[G]|| (normalise each group's gradient first).
 */
export type ScheduleTarget = CompressTarget;

/** The target of an artifact: its stored one, or "multiplier" for files written before target existed. */
export function scheduleTarget(a: Pick<ArtifactBody, 'compression'>): ScheduleTarget {
  return a.compression.options.target ?? 'multiplier'; // decodeArtifact refuses a missing target that cannot mean this
}

/** What a run supplies: its length, and optionally its group scales and base-schedule overrides. */
export interface ScheduleRun {
  /** Steps of the run (an integer >= 1); the schedule's fractions of training are fractions of these. */
  totalSteps: number;
  /** s(G), the global factor on group G's values (scheduleScale, or vectorScale for LayerNorm/bias); default 1. */
  scale?(group: string): number;
  /** The run's own base schedule settings, each replacing the probe's: peak lr, warmup as a fraction of totalSteps. */
  base?: { peakLr?: number; warmup?: number; decay?: BaseScheduleSpec['decay']; endLr?: number };
  /** The run's tokenizer (its pieces, their counts in the run's training split, its fingerprint); without it nothing is re-indexed. */
  vocabulary?: RunVocabulary & { fingerprint: string };
}

export interface ScheduleRule {
  target: ScheduleTarget;
  /** Parameter -> group, as the artifact records it. */
  groupOf: GroupOf;
  /** The run's base schedule eta(t). */
  eta: DescribedSchedule;
  /** s(G) c_G(t): the factor on eta(t) of group G at step t. */
  multiplier(group: string, step: number): number;
  /** eta(t) s(G) c_G(t), checked finite and >= 0. */
  rate(group: string, step: number): number;
  /** The artifact's fixed per-coordinate preconditioner P (stepNorm only); undefined without one. */
  preconditioner?: Readonly<Record<string, CoordinateFactors>>;
  /** What was done with the token-indexed entries; present when the run gave its vocabulary. */
  tokens?: TokenRemap;
}

type ScheduleSource = Pick<ArtifactBody, 'model' | 'probe' | 'compression' | 'groups' | 'preconditioner' | 'vocabulary'>;

/** The artifact's preconditioner for the run's tokenizer, and what was done to it (see the file comment). */
function runPreconditioner(
  artifact: ScheduleSource,
  run: ScheduleRun,
): { preconditioner: ScheduleSource['preconditioner']; tokens?: TokenRemap } {
  const pre = artifact.preconditioner;
  const vocab = run.vocabulary;
  if (vocab === undefined) return { preconditioner: pre };
  const probeTokenizer = artifact.probe.tokenizer?.fingerprint ?? null;
  const tokens: TokenRemap = { action: 'same', probeTokenizer, runTokenizer: vocab.fingerprint, params: [], byString: 0, byFrequency: 0 };
  if (probeTokenizer === vocab.fingerprint) return { preconditioner: pre, tokens };
  if (artifact.vocabulary === undefined || pre === undefined) return { preconditioner: pre, tokens: { ...tokens, action: 'as-is' } };
  const { map, byString, byFrequency } = tokenEntryMap(artifact.vocabulary, vocab, 'frequency');
  const { preconditioner, params } = remapPreconditioner(pre, map);
  return { preconditioner, tokens: { ...tokens, action: 'remapped', match: 'frequency', params, byString, byFrequency } };
}

/** The run's base schedule: the probe's stretched to totalSteps, with the run's overrides. */
function runBaseSchedule(probed: BaseScheduleSpec, run: ScheduleRun): DescribedSchedule {
  const S = run.totalSteps,
    over = run.base ?? {};
  const stretched = stretchSchedule(probed, S);
  if (Object.values(over).every((v) => v === undefined)) return stretched;
  const spec = stretched.spec as BaseScheduleSpec; // stretchSchedule keeps a base spec's kind
  const peakLr = over.peakLr ?? spec.peakLr;
  return baseSchedule({
    peakLr,
    totalSteps: S,
    warmupSteps: over.warmup === undefined ? spec.warmupSteps : Math.min(S, Math.round(over.warmup * S)),
    decay: over.decay ?? spec.decay,
    endLr: Math.min(over.endLr ?? spec.endLr, peakLr),
  });
}

/** Reads `artifact` for `run` (see the file comment). Throws one line for an artifact no engine can run (a decoded file never is one). */
export function scheduleRule(artifact: ScheduleSource, run: ScheduleRun): ScheduleRule {
  const target = scheduleTarget(artifact);
  const factored = artifact.compression.options.preconditioner === 'factored';
  if (artifact.preconditioner && target !== 'stepNorm') {
    throw new Error(
      'schedule artifact: it has a factored preconditioner but its target is not "stepNorm": re-run extract with --target stepNorm',
    );
  }
  if (factored !== (artifact.preconditioner !== undefined)) {
    const stated = artifact.compression.options.preconditioner ?? 'none';
    const holds = factored ? 'holds no' : 'holds a';
    throw new Error(`schedule artifact: compression.options.preconditioner is "${stated}" but it ${holds} preconditioner: re-run extract`);
  }
  const c = multiplierFn(artifact, run.totalSteps);
  const s = run.scale ?? (() => 1);
  const eta = runBaseSchedule(artifact.probe.baseSchedule, run);
  const { preconditioner, tokens } = runPreconditioner(artifact, run);
  const multiplier = (group: string, step: number): number => s(group) * c(group, step);
  return {
    target,
    groupOf: artifactGroupOf(artifact),
    eta,
    multiplier,
    rate(group, step) {
      const r = eta(step) * multiplier(group, step);
      if (!(Number.isFinite(r) && r >= 0)) {
        throw new Error(`schedule: rate("${group}", ${step}) = ${r} is invalid: expected a finite number >= 0`);
      }
      return r;
    },
    preconditioner: preconditioner?.params,
    ...(tokens ? { tokens } : {}),
  };
}
