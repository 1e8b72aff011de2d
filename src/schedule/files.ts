/**
 * Reading and writing schedule artifacts and probe traces on disk (writes are atomic). Errors name
 * the file: "<path>: <what is wrong>: <what to do>".
 */
import { readFileChecked, writeFileAtomic } from '../formats/atomic.js';
import { decodeArtifact, encodeArtifact, type Artifact, type ArtifactBody } from './artifact.js';
import type { Trace } from './trace.js';
import { decodeTrace, encodeTrace } from './trace-file.js';

function withPath<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

/** Encodes and writes an artifact atomically; returns the bytes written. */
export function saveArtifact(file: string, artifact: ArtifactBody): Uint8Array {
  const bytes = encodeArtifact(artifact);
  writeFileAtomic(file, bytes);
  return bytes;
}

/** Reads and validates an artifact (magic, version, checksum, types). */
export function loadArtifact(file: string): Artifact {
  const bytes = readFileChecked(file, 'schedule artifact');
  return withPath(file, () => decodeArtifact(bytes));
}

export function saveTrace(file: string, trace: Trace): Uint8Array {
  const bytes = encodeTrace(trace);
  writeFileAtomic(file, bytes);
  return bytes;
}

export function loadTrace(file: string): Trace {
  const bytes = readFileChecked(file, 'probe trace');
  return withPath(file, () => decodeTrace(bytes));
}
