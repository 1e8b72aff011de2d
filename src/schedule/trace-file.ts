/**
 * The raw trace file, format `graftlr.trace` version 2: a msgpack map
 *
 *   {format, version, tool, model, probe,
 *    steps: i32 (n), loss: f64 (n), eta: f64 (n),
 *    uAdamNorm, uSgdNorm, gradNorm, ratio, c: f64 (n, G), valid: u8 (n, G),
 *    secondMoments (optional; Adam's factored v_hat at the probe end, see moments-codec.ts),
 *    checksum}
 *
 * with arrays as `{dtype, shape, data}` records (see codec.ts and artifacts/FORMAT.md).
 * Version 1 files (before secondMoments) are read as they are: they compress with every option except
 * `preconditioner: factored`, which refuses them (compress.ts).
 */
import { decodeContainer, encodeContainer, packArray, unpackArray, type ContainerSpec } from './codec.js';
import { packSecondMoments, unpackSecondMoments } from './moments-codec.js';
import { PER_GROUP_COLUMNS, type Trace } from './trace.js';
import { TOOL } from './tool.js';
import { FieldChecker } from './validate.js';

export const TRACE_FORMAT = 'graftlr.trace';
export const TRACE_VERSION = 2;
const SPEC: ContainerSpec = { format: TRACE_FORMAT, version: TRACE_VERSION, what: 'probe trace', remedy: 're-run extract to record a new trace' };

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
  return encodeContainer(body);
}

/** Decodes and validates a trace file (magic, version, checksum, then every field's type and shape). */
export function decodeTrace(bytes: Uint8Array): Trace {
  const { body } = decodeContainer(bytes, SPEC); // any version <= TRACE_VERSION: version 1 lacks secondMoments
  const check = new FieldChecker('probe trace', 'the file is corrupted or was not written by graftlr; re-run extract');
  const model = check.model(body.model, 'model');
  const probe = check.probe(body.probe, 'probe');
  const steps = unpackArray(body.steps, 'probe trace field steps', ['i32']) as Int32Array;
  const n = steps.length;
  const G = model.groups.length;
  const perStep = (key: string) => {
    const a = unpackArray(body[key], `probe trace field ${key}`, ['f64']) as Float64Array;
    if (a.length !== n) check.fail(key, `has ${a.length} entries but steps has ${n}`);
    return a;
  };
  const perGroup = (key: string, dtype: 'f64' | 'u8') => {
    const a = unpackArray(body[key], `probe trace field ${key}`, [dtype]);
    if (a.length !== n * G) check.fail(key, `has ${a.length} entries, expected steps x groups = ${n} x ${G}`);
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
  return trace;
}
