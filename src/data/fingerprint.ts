/**
 * The data fingerprint: a SHA-256 (hex) identifying exactly which text a run trained and evaluated on.
 * It hashes the split spec, the normaliser version, and every split's normalised documents in order
 * (document ids are not hashed: renaming a file does not change the data). Artifacts record it for
 * provenance; the data cache is keyed by it.
 */
import { createHash } from 'node:crypto';
import { NORMALIZER_VERSION } from './normalize.js';

export function dataFingerprint(spec: string, splits: Readonly<Record<string, readonly string[]>>): string {
  const hash = createHash('sha256');
  hash.update(`graftlr.data/1\nspec ${spec}\nnormalizer ${NORMALIZER_VERSION}\n`);
  for (const name of Object.keys(splits).sort()) {
    const docs = splits[name];
    hash.update(`split ${name} ${docs.length}\n`);
    // Length-prefixed, so document boundaries are part of the hash.
    for (const text of docs) hash.update(`${text.length}:`).update(text).update('\n');
  }
  return hash.digest('hex');
}
