/**
 * Type checks for decoded files. A file that passed its checksum was written as-is, but by whom?
 * These checks turn "not what graftlr writes" into a one-line error naming the field.
 */
import { DECAYS } from '../optim/schedule-spec.js';
import type { BaseScheduleSpec } from '../optim/schedules.js';
import { isPlainObject, unpackArray, type DType, type NumericArray } from '../formats/codec.js';
import type { GroupInfo, ModelInfo, OptimizerSpec, ParamInfo, PlainRecord, ProbeInfo, ProbeProxy, ProbeTokenizer } from './model-info.js';

/**
 * The base-schedule ranges a file may hold (artifacts/FORMAT.md). A probe's peak learning rate above 10 has
 * no use for SGD or Adam on these models (the tools' defaults are 1e-3 to 0.1); such a value is a corrupted or
 * edited file, and training with it diverges at the first step. A run of more than a billion steps likewise.
 */
export const MAX_PEAK_LR = 10;
export const MAX_TOTAL_STEPS = 1_000_000_000;

/** Builds field errors for one file: "<what> field <path> <problem>: <remedy>". */
export class FieldChecker {
  constructor(
    private readonly what: string,
    private readonly remedy: string,
  ) {}

  fail(path: string, problem: string): never {
    throw new Error(`${this.what} field ${path} ${problem}: ${this.remedy}`);
  }

  object(x: unknown, path: string): Record<string, unknown> {
    if (!isPlainObject(x)) this.fail(path, `must be a map, got ${describe(x)}`);
    return x;
  }

  string(x: unknown, path: string): string {
    if (typeof x !== 'string') this.fail(path, `must be a string, got ${describe(x)}`);
    return x;
  }

  number(x: unknown, path: string, min = -Infinity): number {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min)
      this.fail(path, `must be a finite number${min === -Infinity ? '' : ` >= ${min}`}, got ${describe(x)}`);
    return x;
  }

  int(x: unknown, path: string, min = 0): number {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) this.fail(path, `must be an integer >= ${min}, got ${describe(x)}`);
    return x;
  }

  numberOrNull(x: unknown, path: string): number | null {
    return x === null ? null : this.number(x, path);
  }

  /** A numeric array record (codec.ts unpackArray) of one of `dtypes` and the expected shape (null: any length). */
  numbers(x: unknown, path: string, dtypes: DType[], shape: readonly (number | null)[]): NumericArray {
    try {
      return unpackArray(x, `${this.what} field ${path}`, dtypes, shape);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${this.remedy}`);
    }
  }

  array(x: unknown, path: string): unknown[] {
    if (!Array.isArray(x)) this.fail(path, `must be a list, got ${describe(x)}`);
    return x;
  }

  strings(x: unknown, path: string): string[] {
    return this.array(x, path).map((s, i) => this.string(s, `${path}[${i}]`));
  }

  shape(x: unknown, path: string): number[] {
    return this.array(x, path).map((d, i) => this.int(d, `${path}[${i}]`));
  }

  plainRecord(x: unknown, path: string): PlainRecord {
    return this.object(x, path) as PlainRecord; // canonicalEncode already refused non-plain values
  }

  model(x: unknown, path: string): ModelInfo {
    const o = this.object(x, path);
    const params = this.array(o.params, `${path}.params`).map((p, i): ParamInfo => {
      const q = this.object(p, `${path}.params[${i}]`);
      const at = `${path}.params[${i}]`;
      return {
        name: this.string(q.name, `${at}.name`),
        shape: this.shape(q.shape, `${at}.shape`),
        size: this.int(q.size, `${at}.size`),
        group: this.string(q.group, `${at}.group`),
      };
    });
    const groups = this.array(o.groups, `${path}.groups`).map((g, i): GroupInfo => {
      const q = this.object(g, `${path}.groups[${i}]`);
      const at = `${path}.groups[${i}]`;
      return {
        name: this.string(q.name, `${at}.name`),
        shape: this.shape(q.shape, `${at}.shape`),
        size: this.int(q.size, `${at}.size`),
        params: this.strings(q.params, `${at}.params`),
      };
    });
    const groupNames = new Set(groups.map((g) => g.name));
    if (groupNames.size !== groups.length) this.fail(`${path}.groups`, 'has a repeated group name');
    if (new Set(params.map((p) => p.name)).size !== params.length) this.fail(`${path}.params`, 'has a repeated parameter name');
    for (const p of params) {
      if (!groupNames.has(p.group)) this.fail(`${path}.params`, `puts "${p.name}" in unknown group "${p.group}"`);
      if (p.size !== p.shape.reduce((n, d) => n * d, 1))
        this.fail(`${path}.params`, `gives "${p.name}" size ${p.size} but shape [${p.shape}]`);
    }
    // Each group lists exactly its parameters (in model order) and holds their values (describeModel).
    for (const g of groups) {
      const members = params.filter((p) => p.group === g.name);
      if (members.map((p) => p.name).join('\n') !== g.params.join('\n'))
        this.fail(`${path}.groups`, `lists parameters of "${g.name}" that model.params does not put in it`);
      if (g.size !== members.reduce((n, p) => n + p.size, 0))
        this.fail(
          `${path}.groups`,
          `gives "${g.name}" size ${g.size}, but its parameters hold ${members.reduce((n, p) => n + p.size, 0)} values`,
        );
    }
    return {
      architecture: this.string(o.architecture, `${path}.architecture`),
      config: this.plainRecord(o.config, `${path}.config`),
      params,
      groups,
      fingerprint: this.string(o.fingerprint, `${path}.fingerprint`),
    };
  }

  optimizer(x: unknown, path: string): OptimizerSpec {
    const o = this.object(x, path);
    return { name: this.string(o.name, `${path}.name`), hyperparameters: this.plainRecord(o.hyperparameters, `${path}.hyperparameters`) };
  }

  /**
   * The probe's base schedule eta(t), in the ranges train accepts: kind "base", peakLr in (0, MAX_PEAK_LR],
   * totalSteps an integer in [1, MAX_TOTAL_STEPS], warmupSteps an integer in [0, totalSteps], decay one of
   * DECAYS, endLr in [0, peakLr]. Returns a copy holding exactly those fields.
   */
  baseSchedule(x: unknown, path: string): BaseScheduleSpec {
    const o = this.object(x, path);
    if (o.kind !== 'base') this.fail(`${path}.kind`, `must be "base", got ${describe(o.kind)}`);
    const peakLr = o.peakLr;
    if (typeof peakLr !== 'number' || !(peakLr > 0 && peakLr <= MAX_PEAK_LR))
      this.fail(`${path}.peakLr`, `must be a number in (0, ${MAX_PEAK_LR}], got ${describe(peakLr)}`);
    const totalSteps = this.int(o.totalSteps, `${path}.totalSteps`, 1);
    if (totalSteps > MAX_TOTAL_STEPS) this.fail(`${path}.totalSteps`, `must be at most ${MAX_TOTAL_STEPS}, got ${totalSteps}`);
    const warmupSteps = this.int(o.warmupSteps, `${path}.warmupSteps`, 0);
    if (warmupSteps > totalSteps) this.fail(`${path}.warmupSteps`, `must be at most totalSteps (${totalSteps}), got ${warmupSteps}`);
    const decay = this.string(o.decay, `${path}.decay`);
    if (!(DECAYS as readonly string[]).includes(decay)) this.fail(`${path}.decay`, `is "${decay}", expected one of ${DECAYS.join(', ')}`);
    const endLr = o.endLr;
    if (typeof endLr !== 'number' || !(endLr >= 0 && endLr <= peakLr))
      this.fail(`${path}.endLr`, `must be a number in [0, peakLr = ${peakLr}], got ${describe(endLr)}`);
    return { kind: 'base', peakLr, warmupSteps, totalSteps, decay: decay as BaseScheduleSpec['decay'], endLr };
  }

  probe(x: unknown, path: string): ProbeInfo {
    const o = this.object(x, path);
    const baseSchedule = this.baseSchedule(o.baseSchedule, `${path}.baseSchedule`);
    const totalSteps = this.int(o.totalSteps, `${path}.totalSteps`, 1);
    if (totalSteps !== baseSchedule.totalSteps) {
      this.fail(
        `${path}.totalSteps`,
        `is ${totalSteps} but ${path}.baseSchedule.totalSteps is ${baseSchedule.totalSteps}: the base schedule is laid out for the planned run`,
      );
    }
    return {
      magnitude: this.optimizer(o.magnitude, `${path}.magnitude`),
      direction: this.optimizer(o.direction, `${path}.direction`),
      baseSchedule,
      grouping: this.string(o.grouping, `${path}.grouping`),
      batchSize: this.int(o.batchSize, `${path}.batchSize`, 1),
      seqLen: this.int(o.seqLen, `${path}.seqLen`, 1),
      steps: this.int(o.steps, `${path}.steps`, 0),
      totalSteps,
      seed: this.int(o.seed, `${path}.seed`, 0),
      dataFingerprint: this.string(o.dataFingerprint, `${path}.dataFingerprint`),
      backend: this.string(o.backend, `${path}.backend`),
      engine: this.string(o.engine, `${path}.engine`),
      ...(o.proxy === undefined ? {} : { proxy: this.proxy(o.proxy, `${path}.proxy`) }),
      ...(o.corpus === undefined ? {} : { corpus: this.string(o.corpus, `${path}.corpus`) }),
      ...(o.tokenizer === undefined ? {} : { tokenizer: this.tokenizer(o.tokenizer, `${path}.tokenizer`) }),
    };
  }

  tokenizer(x: unknown, path: string): ProbeTokenizer {
    const o = this.object(x, path);
    return { fingerprint: this.string(o.fingerprint, `${path}.fingerprint`), vocabSize: this.int(o.vocabSize, `${path}.vocabSize`, 1) };
  }

  proxy(x: unknown, path: string): ProbeProxy {
    const o = this.object(x, path);
    const numLayers = this.int(o.numLayers, `${path}.numLayers`, 1);
    if (!Array.isArray(o.layerMap) || o.layerMap.length <= numLayers)
      this.fail(`${path}.layerMap`, `must be a list longer than numLayers = ${numLayers}`);
    const layerMap = (o.layerMap as unknown[]).map((j, k) => {
      const v = this.int(j, `${path}.layerMap[${k}]`, 0);
      if (v >= numLayers) this.fail(`${path}.layerMap[${k}]`, `must be below numLayers = ${numLayers}, got ${v}`);
      return v;
    });
    return { numLayers, layerMap, fingerprint: this.string(o.fingerprint, `${path}.fingerprint`) };
  }
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x instanceof Uint8Array) return `${x.length} bytes`;
  if (Array.isArray(x)) return 'a list';
  if (x === null) return 'null';
  if (typeof x === 'object') return 'a map';
  return JSON.stringify(x);
}
