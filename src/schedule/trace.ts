/**
 * The probe's raw trace: per recorded step t and per group G,
 *
 *   uAdamNorm = ||u_M[G]||      (the magnitude optimizer's step, e.g. Adam)
 *   uSgdNorm  = ||u_D[G]||      (the direction optimizer's step, stateless SGD)
 *   gradNorm  = ||g[G]||
 *   ratio     = uAdamNorm / uSgdNorm                  (the grafting ratio r_G(t))
 *   c         = uAdamNorm / (eta(t) * gradNorm)       (Adam's implied SGD lr, relative to the base lr)
 *
 * A sample is valid iff every norm is finite and > 0 and eta(t) is finite and > 0; otherwise ratio and
 * c are stored as NaN (never 0 or Infinity) and compression ignores the sample.
 *
 * Columns are stored compactly: per-step columns have length n (recorded steps), per-group columns
 * have length n*G in row-major order, entry [i * G + g] for recorded step i and group g (the order of
 * meta.model.groups).
 */
import type { ModelInfo, ProbeInfo } from './model-info.js';
import type { SecondMoments } from './second-moments.js';
import type { StabilityLimits } from './stability.js';
import type { ProbeVocabulary } from './vocabulary.js';

export interface TraceMeta {
  model: ModelInfo;
  probe: ProbeInfo;
}

export interface Trace {
  meta: TraceMeta;
  steps: Int32Array; // (n) 0-based step index t of each recorded sample
  loss: Float64Array; // (n) training loss at t
  eta: Float64Array; // (n) base learning rate eta(t)
  uAdamNorm: Float64Array; // (n*G)
  uSgdNorm: Float64Array; // (n*G)
  gradNorm: Float64Array; // (n*G)
  ratio: Float64Array; // (n*G) NaN where invalid
  c: Float64Array; // (n*G) NaN where invalid
  valid: Uint8Array; // (n*G) 1 = valid, 0 = ignored
  /** Adam's bias-corrected second moments at the probe end, factored (second-moments.ts); absent in version-1 files. */
  secondMoments?: SecondMoments;
  /** Each group's stability limit at the probe end (src/run/probe/stability-limits.ts); absent before version 3. */
  stability?: StabilityLimits;
  /** The probe's vocabulary and token counts (vocabulary.ts); absent in files written before it was recorded. */
  vocabulary?: ProbeVocabulary;
}

export const PER_GROUP_COLUMNS = ['uAdamNorm', 'uSgdNorm', 'gradNorm', 'ratio', 'c'] as const;

/** The norms of one group at one step, as read from the graft optimizer's state. */
export interface GroupStepNorms {
  uAdamNorm: number;
  uSgdNorm: number;
  gradNorm: number;
}

/** One recorded step: every group of meta.model.groups must be present. */
export interface StepRecord {
  step: number;
  loss: number;
  eta: number;
  groups: Readonly<Record<string, GroupStepNorms>>;
}

export function traceLength(t: Trace): number {
  return t.steps.length;
}

export function groupCount(t: Trace): number {
  return t.meta.model.groups.length;
}

/** True iff a sample with these norms and base lr can be used (see the module comment). */
export function isValidSample(n: GroupStepNorms, eta: number): boolean {
  const pos = (x: number) => Number.isFinite(x) && x > 0;
  return pos(n.uAdamNorm) && pos(n.uSgdNorm) && pos(n.gradNorm) && pos(eta);
}

/**
 * Collects StepRecords into a Trace. Usage (the probe): `const rec = traceRecorder(meta);`
 * `rec.record({...})` after every step; `rec.finish()` once at the end.
 */
export function traceRecorder(meta: TraceMeta): { record(r: StepRecord): void; finish(): Trace; readonly length: number } {
  const names = meta.model.groups.map((g) => g.name);
  const steps: number[] = [],
    loss: number[] = [],
    eta: number[] = [];
  const cols = { uAdamNorm: [] as number[], uSgdNorm: [] as number[], gradNorm: [] as number[], ratio: [] as number[], c: [] as number[] };
  const valid: number[] = [];
  return {
    get length() {
      return steps.length;
    },
    record(r: StepRecord): void {
      if (!Number.isInteger(r.step) || r.step < 0) throw new Error(`trace step ${r.step} is invalid: expected an integer >= 0`);
      if (steps.length > 0 && r.step <= steps[steps.length - 1]) {
        throw new Error(`trace step ${r.step} is not after the previous step ${steps[steps.length - 1]}: record steps in increasing order`);
      }
      for (const k of Object.keys(r.groups)) {
        if (!names.includes(k)) throw new Error(`trace record for step ${r.step} has group "${k}" that is not in the model's groups`);
      }
      steps.push(r.step);
      loss.push(r.loss);
      eta.push(r.eta);
      for (const name of names) {
        const n = r.groups[name];
        if (!n) throw new Error(`trace record for step ${r.step} lacks group "${name}": record every group at every step`);
        const ok = isValidSample(n, r.eta);
        cols.uAdamNorm.push(n.uAdamNorm);
        cols.uSgdNorm.push(n.uSgdNorm);
        cols.gradNorm.push(n.gradNorm);
        cols.ratio.push(ok ? n.uAdamNorm / n.uSgdNorm : NaN);
        cols.c.push(ok ? n.uAdamNorm / (r.eta * n.gradNorm) : NaN);
        valid.push(ok ? 1 : 0);
      }
    },
    finish(): Trace {
      return {
        meta,
        steps: Int32Array.from(steps),
        loss: Float64Array.from(loss),
        eta: Float64Array.from(eta),
        uAdamNorm: Float64Array.from(cols.uAdamNorm),
        uSgdNorm: Float64Array.from(cols.uSgdNorm),
        gradNorm: Float64Array.from(cols.gradNorm),
        ratio: Float64Array.from(cols.ratio),
        c: Float64Array.from(cols.c),
        valid: Uint8Array.from(valid),
      };
    },
  };
}
