/**
 * Writes the ablation schedules of a base schedule against a donor (src/schedule/swap.ts): the base as is (no
 * vocabulary), the base with each piece (time, lengths, tokens, factors) taken from the donor, and the base
 * re-indexed ahead of time for the donor's tokenizer (src/schedule/token-remap.ts) by each rule: by frequency
 * (remap-frequency, train's own rule), by string else by frequency rank (remap-string, train's rule before), by
 * frequency rank alone (remap-rank), and by string with the median entry for the other tokens (remap-string-median).
 *
 *   node bin/run-script.mjs scripts/swap-schedule-pieces.ts <base.graft> <donor.graft> <out folder> [prefix]
 *
 * Files: <prefix>-as-is.graft, <prefix>-<piece>.graft, <prefix>-remap-<rule>.graft (prefix: the base's file name), ready for
 * `graftlr compare --schedule-files`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadArtifact, saveArtifact } from '../src/schedule/files.js';
import { remapFor, SCHEDULE_PIECES, swapPiece } from '../src/schedule/swap.js';
import type { ArtifactBody } from '../src/schedule/artifact.js';

const [basePath, donorPath, outDir, prefixArg] = process.argv.slice(2);
if (!basePath || !donorPath || !outDir) {
  console.error('usage: node bin/run-script.mjs scripts/swap-schedule-pieces.ts <base.graft> <donor.graft> <out folder> [prefix]');
  process.exit(2);
}
try {
  const body = (file: string): ArtifactBody => {
    const { checksum: _checksum, ...rest } = loadArtifact(file);
    return rest;
  };
  const base = body(basePath);
  const donor = body(donorPath);
  const prefix = prefixArg ?? path.basename(basePath).replace(/\.graft$/, '');
  fs.mkdirSync(outDir, { recursive: true });
  const { vocabulary: _vocabulary, ...asIs } = base;
  const written = [
    [`${prefix}-as-is`, asIs] as const,
    ...SCHEDULE_PIECES.map((p) => [`${prefix}-${p}`, swapPiece(base, donor, p)] as const),
    [`${prefix}-remap-string`, remapFor(base, donor, 'string')] as const,
    [`${prefix}-remap-rank`, remapFor(base, donor, 'rank')] as const,
    [`${prefix}-remap-string-median`, remapFor(base, donor, 'string-median')] as const,
    [`${prefix}-remap-frequency`, remapFor(base, donor, 'frequency')] as const,
  ];
  for (const [name, artifact] of written) {
    const file = path.join(outDir, `${name}.graft`);
    console.log(`wrote ${file} (${saveArtifact(file, artifact).length} bytes)`);
  }
} catch (err) {
  console.error(`swap-schedule-pieces: ${(err as Error).message}`);
  process.exit(1);
}
