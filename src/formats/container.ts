/**
 * The one container of every graftlr file (schedule artifacts, probe traces, checkpoints): a plain msgpack
 * map with a magic string, a version and a sha256 checksum, decoded with checks in the order
 * readable -> magic -> version -> checksum, each failing with one line that says what to do.
 *
 * The checksum covers the content. Where the checksummed bytes sit is the one thing that differs between
 * the file kinds, kept as written so that every shipped file reads unchanged:
 *
 *   checksumOver "fields"  (schedule, trace):  {format, version, ...fields, checksum: "sha256:<hex>"}
 *       checksum = sha256 of the canonical encoding (canonical.ts) of every other field, format and
 *       version included; independent of key order, so a Python reader re-derives it (artifacts/FORMAT.md).
 *   checksumOver "payload" (checkpoint):       {format, version, payload: <bytes>, checksum: "<hex>"}
 *       payload = the msgpack encoding of the content map; checksum = sha256 of those bytes, so a file of
 *       any size is written in one streaming pass (containerChunks) and checked without re-encoding it.
 *
 * Arrays inside the content are array-codec.ts records.
 */
import { createHash } from 'node:crypto';
import { Packr, Unpackr } from 'msgpackr';
import { checksumOf, describeValue, isPlainObject, shortHash } from './canonical.js';
import { binHeader, msgpackChunks, msgpackLength } from './msgpack-stream.js';

export interface ContainerSpec {
  format: string; // magic, e.g. "graftlr.schedule"
  version: number; // the newest version this code reads and writes
  what: string; // "schedule artifact", for messages
  remedy: string; // what to do about a corrupted file, e.g. "re-run extract"
  checksumOver: 'fields' | 'payload';
}

/** A decoded container: its version, the checksummed content and the stored checksum. */
export interface DecodedContainer {
  version: number;
  /** "fields": every field but `checksum` (format and version included); "payload": the decoded payload map. */
  body: Record<string, unknown>;
  checksum: string;
}

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/**
 * The file as a sequence of chunks, for writing straight to disk (writeFileAtomic takes chunk iterables):
 * byte strings of 4 KiB and more (tensors) are yielded as views of their arrays, never copied, so writing a
 * checkpoint does not hold a second copy of the model. `content` holds everything but format, version and checksum.
 * "fields" checksums the canonical encoding first (one buffer: for files of a few MB, not for checkpoints).
 */
export function* containerChunks(spec: ContainerSpec, content: Record<string, unknown>, version = spec.version): Generator<Uint8Array> {
  if (spec.checksumOver === 'fields') {
    yield encodeContainer({ format: spec.format, version, ...content });
    return;
  }
  yield Uint8Array.of(0x84); // a map of 4 entries, in this order: format, version, payload, checksum
  yield* msgpackChunks('format');
  yield* msgpackChunks(spec.format);
  yield* msgpackChunks('version');
  yield* msgpackChunks(version);
  yield* msgpackChunks('payload');
  yield binHeader(msgpackLength(content));
  const hash = createHash('sha256');
  for (const chunk of msgpackChunks(content)) {
    hash.update(chunk);
    yield chunk;
  }
  yield* msgpackChunks('checksum');
  yield* msgpackChunks(hash.digest('hex'));
}

/**
 * A "fields" container in one buffer from a body that holds its own `format` and `version` (any existing
 * checksum field is replaced), packed by msgpackr's plain encoding (no records, no extensions; maps with a
 * 16-bit count, as every shipped artifact was written). canonicalEncode runs first, so a value msgpack would
 * write as an extension (undefined, typed arrays, dates) is refused.
 */
export function encodeContainer(body: Record<string, unknown>): Uint8Array {
  const { checksum: _ignored, ...fields } = body;
  return packr.pack({ ...fields, checksum: checksumOf(fields) });
}

/** Unpacks and checks magic, version and checksum (see the file comment); the content's own fields are the caller's to check. */
export function decodeContainer(bytes: Uint8Array, spec: ContainerSpec): DecodedContainer {
  const corrupted = `the file is corrupted; ${spec.remedy}`;
  let raw: unknown;
  try {
    raw = unpackr.unpack(bytes);
  } catch (err) {
    throw new Error(`${spec.what} is not readable msgpack (truncated or corrupted: ${(err as Error).message}): ${spec.remedy}`);
  }
  const format = isPlainObject(raw) ? raw.format : undefined;
  if (format !== spec.format) {
    const found = format === undefined ? 'it has no format field' : `its format is ${describeValue(format)}`;
    throw new Error(`not a ${spec.what}: expected format "${spec.format}" but ${found}: pass a file written by graftlr`);
  }
  const obj = raw as Record<string, unknown>;
  const version = obj.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new Error(`${spec.what} has an invalid version ${describeValue(version)}: ${corrupted}`);
  }
  if (version > spec.version) {
    const newer = `${spec.what} version ${version} was made by a newer graftlr`;
    throw new Error(`${newer} (this one reads version ${spec.version}): upgrade graftlr`);
  }
  const { checksum, ...fields } = obj;
  if (typeof checksum !== 'string') throw new Error(`${spec.what} has no checksum: ${corrupted}`);
  const mismatch = (computed: string) =>
    new Error(`${spec.what} checksum mismatch (stored ${shortHash(checksum)}, computed ${shortHash(computed)}): ${corrupted}`);
  if (spec.checksumOver === 'fields') {
    let computed: string;
    try {
      computed = checksumOf(fields);
    } catch (err) {
      throw new Error(`${spec.what} holds a value graftlr never writes (${(err as Error).message}): ${corrupted}`);
    }
    if (computed !== checksum) throw mismatch(computed);
    return { version, body: fields, checksum };
  }
  const payload = obj.payload;
  if (!(payload instanceof Uint8Array)) throw new Error(`${spec.what} has no payload bytes: ${corrupted}`);
  const computed = createHash('sha256').update(payload).digest('hex');
  if (computed !== checksum) throw mismatch(computed);
  let body: unknown;
  try {
    body = unpackr.unpack(payload);
  } catch (err) {
    throw new Error(`${spec.what} payload is not readable msgpack (${(err as Error).message}): ${corrupted}`);
  }
  if (!isPlainObject(body)) throw new Error(`${spec.what} payload is ${describeValue(body)}, not a map: ${corrupted}`);
  return { version, body, checksum };
}
