/**
 * The shipped schedules (artifacts/tiny.graft, artifacts/mini.graft) are what artifacts/README.md says they are:
 * intact, made with extract's current defaults, at the shape and length they are documented for.
 */
import { describe, expect, it } from 'vitest';
import { RECOMMENDED_CAP_RATIO, RECOMMENDED_METHOD, RECOMMENDED_PRECONDITIONER_EPS } from '../../src/schedule/compress.js';
import { scheduleTarget } from '../../src/schedule/export.js';
import { loadArtifact } from '../../src/schedule/files.js';

const SHIPPED = [
  { file: 'artifacts/tiny.graft', probeLr: 1e-3, probeSteps: 400, totalSteps: 4000, groups: 42 },
  { file: 'artifacts/mini.graft', probeLr: 5e-4, probeSteps: 200, totalSteps: 2000, groups: 74 },
];

describe('shipped schedule artifacts', () => {
  for (const s of SHIPPED) {
    it(`${s.file}: extract's default method, step norms, factored at the default eps ratio and cap, probed at 64 x 16`, () => {
      const a = loadArtifact(s.file); // verifies the checksum
      expect(scheduleTarget(a)).toBe('stepNorm');
      expect(a.preconditioner?.epsRatio).toBe(RECOMMENDED_PRECONDITIONER_EPS);
      expect(a.compression.method).toBe(RECOMMENDED_METHOD);
      expect(a.compression.options.capRatio).toBe(RECOMMENDED_CAP_RATIO);
      expect([a.probe.batchSize, a.probe.seqLen, a.probe.steps, a.probe.totalSteps, a.probe.seed]).toEqual([
        64,
        16,
        s.probeSteps,
        s.totalSteps,
        0,
      ]);
      expect(a.probe.magnitude.hyperparameters.lr).toBe(s.probeLr);
      expect(a.model.groups).toHaveLength(s.groups);
      // Portable: the probe's corpus, tokenizer and vocabulary travel with the file, so train can re-index its
      // token-indexed entries for another tokenizer.
      expect(a.probe.corpus).toMatch(/^sotu/);
      expect(a.vocabulary?.tokens).toHaveLength(8192);
      expect(a.probe.tokenizer?.vocabSize).toBe(8192);
    });
  }
});
