/**
 * The probe's vocabulary, as a trace and an artifact carry it, so that token-indexed statistics (the
 * preconditioner's rows of embeddings.word_embeddings and values of cls.predictions.bias) can be re-indexed
 * for another tokenizer (token-remap.ts).
 *
 * Wire form (artifact and trace, field `vocabulary`; artifacts/FORMAT.md):
 *
 *   {size: V, tokens: bin = zlib(UTF-8 of every piece in id order, each followed by "\n"),
 *             counts: bin = zlib(i32 little-endian (V): occurrences of each id in the probe's training split)}
 *
 * zlib (RFC 1950) keeps it small: 8192 pieces and counts take about 40 KB. A piece never holds "\n" (pieces
 * are cut at whitespace). Decoding checks the sizes and that the pieces hash to probe.tokenizer.fingerprint.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { tokenizerFingerprint } from '../data/fingerprint.js';
import type { FieldChecker } from './validate.js';

export interface ProbeVocabulary {
  /** The probe tokenizer's pieces in id order. */
  tokens: string[];
  /** (V) occurrences of each id in the probe's training split. */
  counts: Int32Array;
}

/** Checks a vocabulary's shape (one count per piece, counts >= 0, no piece holding a line break); returns it. */
export function checkVocabulary(v: ProbeVocabulary, who: string): ProbeVocabulary {
  if (v.counts.length !== v.tokens.length) throw new Error(`${who}: ${v.tokens.length} tokens but ${v.counts.length} counts`);
  for (const c of v.counts) if (!(c >= 0)) throw new Error(`${who}: a token count is ${c}: counts are >= 0`);
  const bad = v.tokens.findIndex((t) => t.includes('\n'));
  if (bad >= 0) throw new Error(`${who}: token ${bad} holds a line break: vocabulary pieces never do`);
  return v;
}

export function packVocabulary(v: ProbeVocabulary): Record<string, unknown> {
  checkVocabulary(v, 'packVocabulary');
  const text = Buffer.from(v.tokens.map((t) => `${t}\n`).join(''), 'utf8');
  const counts = Buffer.alloc(4 * v.counts.length);
  v.counts.forEach((c, i) => counts.writeInt32LE(c, 4 * i));
  return {
    size: v.tokens.length,
    tokens: new Uint8Array(deflateSync(text, { level: 9 })),
    counts: new Uint8Array(deflateSync(counts, { level: 9 })),
  };
}

function inflate(check: FieldChecker, x: unknown, at: string): Buffer {
  if (!(x instanceof Uint8Array)) check.fail(at, 'must be bytes (zlib)');
  try {
    return inflateSync(x, { maxOutputLength: 1 << 28 });
  } catch (err) {
    check.fail(at, `is not readable zlib data (${(err as Error).message})`);
  }
}

/** Reads a `vocabulary` field; `fingerprint` (probe.tokenizer.fingerprint), when given, must match its pieces. */
export function unpackVocabulary(check: FieldChecker, x: unknown, fingerprint: string | undefined): ProbeVocabulary {
  const o = check.object(x, 'vocabulary');
  const size = check.int(o.size, 'vocabulary.size', 1);
  const text = inflate(check, o.tokens, 'vocabulary.tokens').toString('utf8');
  const tokens = text.split('\n');
  if (tokens.pop() !== '' || tokens.length !== size)
    check.fail('vocabulary.tokens', `must hold ${size} pieces, each followed by a line break`);
  const bytes = inflate(check, o.counts, 'vocabulary.counts');
  if (bytes.length !== 4 * size) check.fail('vocabulary.counts', `holds ${bytes.length} bytes, expected ${4 * size} (i32 per token)`);
  const counts = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    counts[i] = bytes.readInt32LE(4 * i);
    if (counts[i] < 0) check.fail('vocabulary.counts', `holds ${counts[i]} at ${i}: counts are >= 0`);
  }
  if (fingerprint !== undefined && tokenizerFingerprint(tokens) !== fingerprint) {
    check.fail('vocabulary.tokens', 'do not match probe.tokenizer.fingerprint');
  }
  return { tokens, counts };
}
