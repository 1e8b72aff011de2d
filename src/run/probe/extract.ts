/**
 * extractSchedule: the library entry behind `graftlr extract`: run the grafted probe (runProbe), compress
 * its trace into a static schedule (compressTrace) and build the artifact. Writes nothing; the caller
 * saves the trace and the artifact (src/schedule/files.ts).
 */
import { buildArtifact, type ArtifactBody } from '../../schedule/artifact.js';
import {
  compressTrace,
  resolveCompressOptions,
  withRecommendedDefaults,
  type CompressOptions,
  type Compressed,
} from '../../schedule/compress.js';
import { capsByCurvature } from '../../schedule/stability.js';
import { RECOMMENDED_STABILITY_BATCHES } from './stability-limits.js';
import { runProbe, type ProbeHooks, type ProbeOptions, type ProbeResult } from './probe.js';

export interface ExtractOptions extends ProbeOptions {
  /** How the trace becomes a schedule (method, window, clamping; defaults in src/schedule/compress.ts). */
  compress: Partial<CompressOptions>;
}

export interface ExtractResult {
  probe: ProbeResult;
  compressed: Compressed;
  artifact: ArtifactBody;
}

export async function extractSchedule(options: Partial<ExtractOptions>, hooks: ProbeHooks = {}): Promise<ExtractResult> {
  const compressOptions = resolveCompressOptions(withRecommendedDefaults(options.compress)); // fail before probing
  if (capsByCurvature(compressOptions) && !((options.stabilityBatches ?? RECOMMENDED_STABILITY_BATCHES) > 0)) {
    throw new Error(
      'extract: capBy "curvature" caps against the stability limits the probe measures at its end: pass --stability-batches 1 or more (default 4), or --cap-by size',
    );
  }
  const probe = await runProbe(options, hooks);
  const compressed = compressTrace(probe.trace, compressOptions);
  return { probe, compressed, artifact: buildArtifact({ trace: probe.trace, compressed }) };
}
