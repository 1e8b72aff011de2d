/**
 * On-disk cache of prepared data: the trained tokenizer and the encoded id streams of the three
 * splits, keyed by data fingerprint + vocabulary size. One file per key, written atomically:
 *
 *   <cacheDir>/data-<fingerprint[0:16]>-v<vocabSize>.bin
 *   bytes 0..7   magic "GLRDATA\0"
 *   bytes 8..11  header length H (uint32 little-endian)
 *   12..12+H     header JSON: { format, version, fingerprint, vocabSize, trainer, streams: {name: length},
 *                payloadSha256, tokenizerJson }
 *   then zero padding to a multiple of 4, then the streams' int32 ids (little-endian), in header order.
 *
 * A cache entry that is missing, truncated, corrupt (checksum) or made for other data or another
 * trainer version reads as `undefined`, and the caller rebuilds and overwrites it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../formats/atomic.js';

const MAGIC = 'GLRDATA\0';
const FORMAT = 'graftlr.data-cache';
const VERSION = 1;

export interface CacheEntry {
  tokenizerJson: string;
  streams: Record<string, Int32Array>;
}

export interface CacheKey {
  fingerprint: string;
  vocabSize: number;
  /** Tokenizer trainer version: a new trainer must not reuse an old vocabulary. */
  trainer: string;
}

export function cachePath(cacheDir: string, key: CacheKey): string {
  return path.join(cacheDir, `data-${key.fingerprint.slice(0, 16)}-v${key.vocabSize}.bin`);
}

/** The cached entry for `key`, or undefined when there is none or it cannot be trusted. */
export function readCache(cacheDir: string, key: CacheKey): CacheEntry | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(cachePath(cacheDir, key));
  } catch {
    return undefined;
  }
  try {
    if (bytes.subarray(0, 8).toString('latin1') !== MAGIC) return undefined;
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8'));
    if (header.format !== FORMAT || header.version !== VERSION) return undefined;
    if (header.fingerprint !== key.fingerprint || header.vocabSize !== key.vocabSize || header.trainer !== key.trainer) return undefined;
    const start = align4(12 + headerLength);
    const payload = bytes.subarray(start);
    if (sha256(payload) !== header.payloadSha256) return undefined;
    const streams: Record<string, Int32Array> = {};
    let at = 0;
    for (const [name, length] of Object.entries(header.streams as Record<string, number>)) {
      if (!Number.isInteger(length) || length < 0 || (at + length) * 4 > payload.length) return undefined;
      const copy = new Int32Array(length);
      for (let i = 0; i < length; i++) copy[i] = payload.readInt32LE((at + i) * 4);
      streams[name] = copy;
      at += length;
    }
    if (at * 4 !== payload.length || typeof header.tokenizerJson !== 'string') return undefined;
    return { tokenizerJson: header.tokenizerJson, streams };
  } catch {
    return undefined; // truncated or garbled: rebuild
  }
}

/** Write the entry for `key` atomically; returns the file path. */
export function writeCache(cacheDir: string, key: CacheKey, entry: CacheEntry): string {
  const names = Object.keys(entry.streams);
  const total = names.reduce((n, name) => n + entry.streams[name].length, 0);
  const payload = Buffer.alloc(total * 4);
  let at = 0;
  for (const name of names) {
    for (const id of entry.streams[name]) payload.writeInt32LE(id, 4 * at++);
  }
  const header = Buffer.from(
    JSON.stringify({
      format: FORMAT,
      version: VERSION,
      fingerprint: key.fingerprint,
      vocabSize: key.vocabSize,
      trainer: key.trainer,
      streams: Object.fromEntries(names.map((n) => [n, entry.streams[n].length])),
      payloadSha256: sha256(payload),
      tokenizerJson: entry.tokenizerJson,
    }),
    'utf8',
  );
  const prefix = Buffer.alloc(align4(12 + header.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 8);
  header.copy(prefix, 12);
  const file = cachePath(cacheDir, key);
  writeFileAtomic(file, Buffer.concat([prefix, payload]));
  return file;
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
