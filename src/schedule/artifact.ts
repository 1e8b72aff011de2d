/**
 * The schedule artifact, format `graftlr.schedule` version 2 (DESIGN.md section 3, byte layout in
 * artifacts/FORMAT.md): a self-describing msgpack map with provenance, the per-group schedules, an
 * optional fixed per-coordinate preconditioner (second-moments.ts), an optional downsampled trace for plots,
 * and a sha256 checksum of everything else.
 *
 * Version 2 added `preconditioner`. Version 1 files are migrated on reading: they are version 2 files without
 * a preconditioner (the body keeps `version: 1`, so re-encoding one gives back the same bytes).
 */
import { decodeContainer, encodeContainer, packArray, shortHash, type ContainerSpec } from '../formats/codec.js';
import type { CompressionInfo, Compressed, GroupEntry } from './compress.js';
import { median } from './fit.js';
import { packPreconditioner, unpackPreconditioner } from './moments-codec.js';
import type { Preconditioner } from './second-moments.js';
import { modelFingerprint, paramShapesOf, type ModelInfo, type ProbeInfo } from './model-info.js';
import { checkNamesAndShapes, type ShapeTable } from '../core/param-shapes.js';
import { TOOL } from './tool.js';
import type { Trace } from './trace.js';
import { checkArtifactGroups, checkArtifactTrace, checkCompression } from './artifact-check.js';
import { FieldChecker } from './validate.js';
import { packVocabulary, unpackVocabulary, type ProbeVocabulary } from './vocabulary.js';

export const ARTIFACT_FORMAT = 'graftlr.schedule';
export const ARTIFACT_VERSION = 2;
const SPEC: ContainerSpec = {
  format: ARTIFACT_FORMAT,
  version: ARTIFACT_VERSION,
  checksumOver: 'fields',
  what: 'schedule artifact',
  remedy: 're-run extract or copy the file again',
};

/**
 * Downsampled trace for plots: m points, each summarising consecutive recorded steps.
 * c[j * G + g] = exp(median of ln c) over the valid samples of group g in bucket j (NaN if none).
 */
export interface ArtifactTrace {
  stepsPerPoint: number;
  fraction: Float64Array; // (m) mean step of the bucket / totalSteps
  loss: Float32Array; // (m) mean loss of the bucket
  c: Float32Array; // (m * G), groups in model.groups order
}

export interface ArtifactBody {
  format: typeof ARTIFACT_FORMAT;
  /** ARTIFACT_VERSION for new files; 1 for a migrated version-1 file (which never has a preconditioner). */
  version: 1 | typeof ARTIFACT_VERSION;
  createdAt: string; // ISO 8601
  tool: { name: string; version: string };
  model: ModelInfo;
  probe: ProbeInfo;
  compression: CompressionInfo;
  groups: Record<string, GroupEntry>;
  /** Fixed per-coordinate preconditioner (compression.options.preconditioner = "factored"); absent otherwise. */
  preconditioner?: Preconditioner;
  /** The probe's vocabulary and token counts (vocabulary.ts), for re-indexing token-indexed entries; absent in older files. */
  vocabulary?: ProbeVocabulary;
  trace?: ArtifactTrace;
}

export interface Artifact extends ArtifactBody {
  checksum: string; // "sha256:<hex>" of the canonical encoding of every other field
}

/** Downsamples a trace to at most maxPoints points (see ArtifactTrace). */
export function downsampleTrace(trace: Trace, maxPoints: number): ArtifactTrace {
  const n = trace.steps.length,
    G = trace.meta.model.groups.length;
  const per = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
  const m = Math.ceil(n / per);
  const out: ArtifactTrace = { stepsPerPoint: per, fraction: new Float64Array(m), loss: new Float32Array(m), c: new Float32Array(m * G) };
  for (let j = 0; j < m; j++) {
    const lo = j * per,
      hi = Math.min(n, lo + per);
    let steps = 0,
      loss = 0;
    for (let i = lo; i < hi; i++) {
      steps += trace.steps[i];
      loss += trace.loss[i];
    }
    out.fraction[j] = steps / (hi - lo) / trace.meta.probe.totalSteps;
    out.loss[j] = loss / (hi - lo);
    for (let g = 0; g < G; g++) {
      const logs: number[] = [];
      for (let i = lo; i < hi; i++) if (trace.valid[i * G + g]) logs.push(Math.log(trace.c[i * G + g]));
      out.c[j * G + g] = logs.length > 0 ? Math.exp(median(logs)) : NaN;
    }
  }
  return out;
}

/** Assembles an artifact from a trace and its compression. traceMaxPoints = 0 leaves the trace out. */
export function buildArtifact(o: { trace: Trace; compressed: Compressed; createdAt?: string; traceMaxPoints?: number }): ArtifactBody {
  const body: ArtifactBody = {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    createdAt: o.createdAt ?? new Date().toISOString(),
    tool: { ...TOOL },
    model: o.trace.meta.model,
    probe: o.trace.meta.probe,
    compression: o.compressed.compression,
    groups: o.compressed.groups,
  };
  if (o.compressed.preconditioner) body.preconditioner = o.compressed.preconditioner;
  if (o.trace.vocabulary) body.vocabulary = o.trace.vocabulary;
  const maxPoints = o.traceMaxPoints ?? 200;
  if (maxPoints > 0 && o.trace.steps.length > 0) body.trace = downsampleTrace(o.trace, maxPoints);
  return body;
}

/** Encodes an artifact (any existing checksum is ignored and recomputed). */
export function encodeArtifact(a: ArtifactBody): Uint8Array {
  const G = a.model.groups.length;
  const wire: Record<string, unknown> = {
    format: a.format,
    version: a.version,
    createdAt: a.createdAt,
    tool: a.tool,
    model: a.model,
    // the probe map in the order decodeArtifact gives it, whoever built it, so a file re-encodes to its own bytes
    probe: new FieldChecker('encodeArtifact', 'build the artifact with buildArtifact').probe(a.probe, 'probe'),
    compression: a.compression,
    groups: a.groups,
  };
  if (a.preconditioner) {
    if (a.version < 2)
      throw new Error('encodeArtifact: a version-1 artifact cannot carry a preconditioner: build it with buildArtifact (version 2)');
    wire.preconditioner = packPreconditioner(a.preconditioner);
  }
  if (a.vocabulary) wire.vocabulary = packVocabulary(a.vocabulary);
  if (a.trace) {
    const m = a.trace.fraction.length;
    wire.trace = {
      stepsPerPoint: a.trace.stepsPerPoint,
      fraction: packArray(a.trace.fraction),
      loss: packArray(a.trace.loss),
      c: packArray(a.trace.c, [m, G]),
    };
  }
  return encodeContainer(wire);
}

/**
 * Decodes an artifact, checking in order: readable msgpack, magic, version (newer -> "upgrade graftlr"),
 * checksum, then every field's type. Each failure is a one-line Error saying what is wrong and what to do.
 */
export function decodeArtifact(bytes: Uint8Array): Artifact {
  const { body: b, checksum } = decodeContainer(bytes, SPEC);
  const check = new FieldChecker('schedule artifact', 'the file is corrupted or was not written by graftlr; re-run extract');
  const tool = check.object(b.tool, 'tool');
  const model = check.model(b.model, 'model');
  if (modelFingerprint(Object.fromEntries(model.params.map((p) => [p.name, p.shape]))) !== model.fingerprint) {
    check.fail('model.fingerprint', 'does not match model.params');
  }
  const G = model.groups.length;
  const version = b.version as Artifact['version']; // 1 or 2: decodeContainer refused newer ones
  const out: Artifact = {
    format: ARTIFACT_FORMAT,
    version,
    createdAt: check.string(b.createdAt, 'createdAt'),
    tool: { name: check.string(tool.name, 'tool.name'), version: check.string(tool.version, 'tool.version') },
    model,
    probe: check.probe(b.probe, 'probe'),
    compression: checkCompression(check, b.compression, model),
    groups: checkArtifactGroups(check, b.groups, model),
    checksum,
  };
  if (version >= 2 && b.preconditioner !== undefined) out.preconditioner = unpackPreconditioner(check, b.preconditioner, model);
  const wantsPreconditioner = out.compression.options.preconditioner === 'factored';
  if (wantsPreconditioner !== (out.preconditioner !== undefined)) {
    check.fail(
      'preconditioner',
      wantsPreconditioner
        ? 'is missing but compression.options.preconditioner is "factored"'
        : 'is present but compression.options.preconditioner is not "factored"',
    );
  }
  if (b.vocabulary !== undefined) out.vocabulary = unpackVocabulary(check, b.vocabulary, out.probe.tokenizer?.fingerprint);
  if (b.trace !== undefined) {
    const t = checkArtifactTrace(check, b.trace);
    const fraction = check.numbers(t.fraction, 'trace.fraction', ['f64'], [null]) as Float64Array;
    const m = fraction.length;
    out.trace = {
      stepsPerPoint: t.stepsPerPoint,
      fraction,
      loss: check.numbers(t.loss, 'trace.loss', ['f32'], [m]) as Float32Array,
      c: check.numbers(t.c, 'trace.c', ['f32'], [m, G]) as Float32Array, // (m, G): point-major
    };
  }
  return out;
}

/**
 * Refuses an artifact made for a different model: compares the fingerprint of `paramShapes`
 * (name -> shape) with the artifact's and, if they differ, throws one line listing the differences (param-shapes.ts).
 */
export function checkArtifactMatchesModel(artifact: Pick<ArtifactBody, 'model'>, paramShapes: ShapeTable): void {
  const mine = modelFingerprint(paramShapes);
  if (mine === artifact.model.fingerprint) return;
  const what = `artifact was made for model fingerprint ${shortHash(artifact.model.fingerprint)}, this model is ${shortHash(mine)}`;
  const sides = { have: 'this model', want: 'the artifact', what, remedy: 're-run extract' };
  checkNamesAndShapes(paramShapes, paramShapesOf(artifact.model), sides);
  throw new Error(`${what}: re-run extract`); // same names and shapes, yet another fingerprint: an edited file
}

/**
 * The seed of the initial weights the artifact's per-unit preconditioner factors describe (its rows and columns other
 * than token ids are hidden units of the weights the probe started from): the probe's seed, or undefined without a
 * factored preconditioner or for a proxy probe (a shallower model, whose units are not the model's).
 * train/start-weights.ts also requires the same init std before starting a run there.
 */
export function probeStartSeed(a: Pick<ArtifactBody, 'preconditioner' | 'probe'>): number | undefined {
  return a.preconditioner && !a.probe.proxy ? a.probe.seed : undefined;
}
