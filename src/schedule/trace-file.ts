/**
 * The raw trace file, format `graftlr.trace` version 3: a msgpack map
 *
 *   {format, version, tool, model, probe,
 *    steps: i32 (n), loss: f64 (n), eta: f64 (n),
 *    uAdamNorm, uSgdNorm, gradNorm, ratio, c: f64 (n, G), valid: u8 (n, G),
 *    secondMoments (optional; Adam's factored v_hat at the probe end, see moments-codec.ts),
 *    stability (optional; {batches, stepLength, slope, curvature, limit: f64 (G)}, see src/schedule/stability.ts),
 *    vocabulary (optional; the probe's pieces and token counts, see src/schedule/vocabulary.ts),
 *    checksum}
 *
 * with arrays as `{dtype, shape, data}` records (see codec.ts and artifacts/FORMAT.md).
 * Version 1 files (before secondMoments) are read as they are: they compress with every option except
 * `preconditioner: factored`, which refuses them (compress.ts). Version 2 files (before stability) compress with
 * every option except `capBy: curvature` with a cap, which refuses them (stability.ts).
 */
import { decodeContainer, encodeContainer, packArray, unpackArray, type ContainerSpec } from '../formats/codec.js';
import { packSecondMoments, unpackSecondMoments } from './moments-codec.js';
import { PER_GROUP_COLUMNS, type Trace } from './trace.js';
import { TOOL } from './tool.js';
import type { StabilityLimits } from './stability.js';
import { FieldChecker } from './validate.js';
import { packVocabulary, unpackVocabulary } from './vocabulary.js';

const STABILITY_COLUMNS = ['stepLength', 'slope', 'curvature', 'limit'] as const;

function packStability(s: StabilityLimits): Record<string, unknown> {
  const out: Record<string, unknown> = { batches: s.batches };
  for (const key of STABILITY_COLUMNS) out[key] = packArray(s[key]);
  return out;
}

function unpackStability(check: FieldChecker, x: unknown, G: number): StabilityLimits {
  const o = check.object(x, 'stability');
  const column = (key: (typeof STABILITY_COLUMNS)[number]) => {
    return unpackArray(o[key], `probe trace field stability.${key}`, ['f64'], [G]) as Float64Array; // one per group
  };
  const out: StabilityLimits = {
    batches: check.int(o.batches, 'stability.batches', 1),
    stepLength: column('stepLength'),
    slope: column('slope'),
    curvature: column('curvature'),
    limit: column('limit'),
  };
  for (const v of out.limit)
    if (!(Number.isNaN(v) || v > 0)) check.fail('stability.limit', `holds ${v}: limits are > 0 (Infinity: none seen) or NaN (no data)`);
  return out;
}

export const TRACE_FORMAT = 'graftlr.trace';
export const TRACE_VERSION = 3;
const SPEC: ContainerSpec = {
  format: TRACE_FORMAT,
  version: TRACE_VERSION,
  what: 'probe trace',
  remedy: 're-run extract to record a new trace',
  checksumOver: 'fields',
};

export function encodeTrace(t: Trace): Uint8Array {
  const n = t.steps.length;
  const G = t.meta.model.groups.length;
  const body: Record<string, unknown> = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    tool: { ...TOOL },
    model: t.meta.model,
    probe: t.meta.probe,
    steps: packArray(t.steps),
    loss: packArray(t.loss),
    eta: packArray(t.eta),
    valid: packArray(t.valid, [n, G]),
  };
  for (const col of PER_GROUP_COLUMNS) body[col] = packArray(t[col], [n, G]);
  if (t.secondMoments) body.secondMoments = packSecondMoments(t.secondMoments);
  if (t.stability) body.stability = packStability(t.stability);
  if (t.vocabulary) body.vocabulary = packVocabulary(t.vocabulary);
  return encodeContainer(body);
}

/** Decodes and validates a trace file (magic, version, checksum, then every field's type and shape). */
export function decodeTrace(bytes: Uint8Array): Trace {
  const { body } = decodeContainer(bytes, SPEC); // any version <= TRACE_VERSION: 1 lacks secondMoments, 2 stability
  const check = new FieldChecker('probe trace', 'the file is corrupted or was not written by graftlr; re-run extract');
  const model = check.model(body.model, 'model');
  const probe = check.probe(body.probe, 'probe');
  const steps = unpackArray(body.steps, 'probe trace field steps', ['i32'], [null]) as Int32Array;
  const n = steps.length;
  const G = model.groups.length;
  const perStep = (key: string) => {
    const a = unpackArray(body[key], `probe trace field ${key}`, ['f64'], [n]) as Float64Array;
    return a;
  };
  const perGroup = (key: string, dtype: 'f64' | 'u8') => {
    const a = unpackArray(body[key], `probe trace field ${key}`, [dtype], [n, G]);
    return a;
  };
  const trace: Trace = {
    meta: { model, probe },
    steps,
    loss: perStep('loss'),
    eta: perStep('eta'),
    uAdamNorm: perGroup('uAdamNorm', 'f64') as Float64Array,
    uSgdNorm: perGroup('uSgdNorm', 'f64') as Float64Array,
    gradNorm: perGroup('gradNorm', 'f64') as Float64Array,
    ratio: perGroup('ratio', 'f64') as Float64Array,
    c: perGroup('c', 'f64') as Float64Array,
    valid: perGroup('valid', 'u8') as Uint8Array,
  };
  if (body.version !== 1 && body.secondMoments !== undefined) trace.secondMoments = unpackSecondMoments(check, body.secondMoments, model);
  if ((body.version as number) >= 3 && body.stability !== undefined) trace.stability = unpackStability(check, body.stability, G);
  if (body.vocabulary !== undefined) trace.vocabulary = unpackVocabulary(check, body.vocabulary, probe.tokenizer?.fingerprint);
  return trace;
}
