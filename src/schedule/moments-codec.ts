/**
 * Wire form of second-moment factors, shared by the trace file (version 2) and the artifact (version 2):
 *
 *   trace:     secondMoments = {step: int, beta2: float, params: {name: {rows: f32 (r), cols: f32 (c)} | {values: f32 (n)}}}
 *   artifact:  preconditioner = {kind: "factored", epsRatio, step, beta2, params: {name: {rows, cols, eps} | {values, eps}}}
 *
 * Every parameter of the model has an entry; a 2-D parameter has rows/cols of its two dimensions, any other
 * has values of its size. Decoding checks all of this against model.params.
 */
import { packArray } from '../formats/codec.js';
import type { ModelInfo } from './model-info.js';
import type { MomentFactors, Preconditioner, PreconditionerFactors, SecondMoments } from './second-moments.js';
import type { FieldChecker } from './validate.js';

function packFactors(f: MomentFactors): Record<string, unknown> {
  return 'rows' in f ? { rows: packArray(f.rows), cols: packArray(f.cols) } : { values: packArray(f.values) };
}

/** Checks one entry against its parameter's shape; values must be finite and >= 0. */
function unpackFactors(check: FieldChecker, x: unknown, at: string, shape: number[]): MomentFactors {
  const o = check.object(x, at);
  const arr = (key: string, n: number) => {
    const a = check.numbers(o[key], `${at}.${key}`, ['f32'], [null]) as Float32Array;
    if (a.length !== n) check.fail(`${at}.${key}`, `has ${a.length} values, expected ${n} for shape [${shape}]`);
    for (const v of a) if (!(v >= 0 && Number.isFinite(v))) check.fail(`${at}.${key}`, `holds ${v}: second moments are finite and >= 0`);
    return a;
  };
  if (shape.length === 2) return { rows: arr('rows', shape[0]), cols: arr('cols', shape[1]) };
  return {
    values: arr(
      'values',
      shape.reduce((p, d) => p * d, 1),
    ),
  };
}

export function packSecondMoments(m: SecondMoments): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(m.params)) params[name] = packFactors(f);
  return { step: m.step, beta2: m.beta2, params };
}

function unpackParams<T>(
  check: FieldChecker,
  x: unknown,
  at: string,
  model: ModelInfo,
  each: (o: Record<string, unknown>, f: MomentFactors, at: string) => T,
): Record<string, T> {
  const o = check.object(x, at);
  const out: Record<string, T> = {};
  for (const p of model.params) {
    const pat = `${at}.${p.name}`;
    if (o[p.name] === undefined) check.fail(pat, 'is missing: every parameter needs factors');
    out[p.name] = each(check.object(o[p.name], pat), unpackFactors(check, o[p.name], pat, p.shape), pat);
  }
  for (const name of Object.keys(o)) if (!(name in out)) check.fail(`${at}.${name}`, 'is not a parameter of model.params');
  return out;
}

export function unpackSecondMoments(check: FieldChecker, x: unknown, model: ModelInfo): SecondMoments {
  const o = check.object(x, 'secondMoments');
  return {
    step: check.int(o.step, 'secondMoments.step', 1),
    beta2: check.number(o.beta2, 'secondMoments.beta2', 0),
    params: unpackParams(check, o.params, 'secondMoments.params', model, (_, f) => f),
  };
}

export function packPreconditioner(p: Preconditioner): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(p.params)) params[name] = { ...packFactors(f), eps: f.eps };
  return { kind: p.kind, epsRatio: p.epsRatio, step: p.step, beta2: p.beta2, params };
}

export function unpackPreconditioner(check: FieldChecker, x: unknown, model: ModelInfo): Preconditioner {
  const o = check.object(x, 'preconditioner');
  const kind = check.string(o.kind, 'preconditioner.kind');
  if (kind !== 'factored') check.fail('preconditioner.kind', `is "${kind}", expected "factored"`);
  return {
    kind: 'factored',
    epsRatio: check.number(o.epsRatio, 'preconditioner.epsRatio', 0),
    step: check.int(o.step, 'preconditioner.step', 1),
    beta2: check.number(o.beta2, 'preconditioner.beta2', 0),
    params: unpackParams(check, o.params, 'preconditioner.params', model, (e, f, at): PreconditionerFactors => {
      const eps = check.number(e.eps, `${at}.eps`, 0);
      if (!(eps > 0)) check.fail(`${at}.eps`, 'must be > 0');
      return { ...f, eps };
    }),
  };
}
