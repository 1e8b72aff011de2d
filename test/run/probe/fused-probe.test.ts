/**
 * The probe on the ort runtime (runFusedGraftProbe: one onnxruntime run per step, moments in host arrays)
 * against the same probe on the generic loop over the same ort gradients (an engine factory is never
 * fused: gradients copied into tfjs, graft(adam, sgd) in tfjs). Both compute Adam#SGD in float32 with
 * norms summed in float64, in a different rounding order, so every recorded norm agrees to 1e-4 relative
 * (a wrong bias correction, beta, ratio or eta moves them by far more), and so do the factored second
 * moments at the end; the stability limits measured after the probe agree to 5%.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createOrtEngine } from '../../../src/engine/ort/engine.js';
import { FUSED_PROBE_ENGINE, runProbe } from '../../../src/run/probe/probe.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { tinySetup } from '../train/tiny.js';

let base: Partial<RunOptions>;
beforeAll(async () => {
  ({ base } = await tinySetup());
});

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-30);

describe('the probe on the ort runtime', () => {
  for (const ortUpdate of ['host', 'graph'] as const)
    it(`update on the ${ortUpdate}: the same norms, second moments and stability limits as the generic probe`, async () => {
      const o = {
        ...base,
        totalSteps: 80,
        probeSteps: 8,
        recordEvery: 2,
        lr: 0.003,
        warmup: 0.05,
        grouping: 'block' as const,
        stabilityBatches: 2,
        magnitude: 'adam' as const, // the generic engine runs full Adam; the fused step must match it
      };
      const fused = await runProbe({ ...o, engine: 'ort', ortUpdate });
      const generic = await runProbe({ ...o, engine: (config, seed) => createOrtEngine(config, { seed }) });
      expect(fused.engine).toBe(FUSED_PROBE_ENGINE);
      expect(fused.trace.meta.probe.engine).toBe(FUSED_PROBE_ENGINE);
      expect(generic.engine).toBe('ort');
      const f = fused.trace,
        g = generic.trace;
      expect(Array.from(f.steps)).toEqual([0, 2, 4, 6]);
      expect(Array.from(f.steps)).toEqual(Array.from(g.steps));
      expect(Array.from(f.valid)).toEqual(Array.from(g.valid));
      let compared = 0;
      for (let i = 0; i < f.uAdamNorm.length; i++) {
        if (!(g.gradNorm[i] > 1e-6)) continue; // key biases: rounding noise only
        expect(close(f.uAdamNorm[i], g.uAdamNorm[i], 1e-4), `uAdamNorm[${i}] ${f.uAdamNorm[i]} vs ${g.uAdamNorm[i]}`).toBe(true);
        expect(close(f.uSgdNorm[i], g.uSgdNorm[i], 1e-4), `uSgdNorm[${i}]`).toBe(true);
        expect(close(f.gradNorm[i], g.gradNorm[i], 1e-4), `gradNorm[${i}]`).toBe(true);
        compared++;
      }
      expect(compared).toBe(f.steps.length * 3); // block grouping of the 1-layer model: embeddings, encoder.layer.0, cls
      expect(Array.from(f.loss).every((l, i) => close(l, g.loss[i], 1e-5))).toBe(true);
      // Later losses and norms agree only if both paths applied the same updates at the earlier steps.

      // Second moments: the same factors (Adam's v after 8 updates, bias-corrected).
      expect(f.secondMoments!.step).toBe(8);
      for (const [name, fm] of Object.entries(f.secondMoments!.params)) {
        if (name.endsWith('key.bias')) continue;
        const gm = g.secondMoments!.params[name];
        const parts =
          'rows' in fm
            ? [
                [fm.rows, (gm as typeof fm).rows],
                [fm.cols, (gm as typeof fm).cols],
              ]
            : [[fm.values, (gm as { values: Float32Array }).values]];
        for (const [a, b] of parts) a.forEach((x, j) => expect(close(x, b[j], 1e-3), `${name}[${j}] ${x} vs ${b[j]}`).toBe(true));
      }
      // Stability limits after the probe, from the same final weights up to round-off. Each is a finite difference of two
      // losses (h = 2 (L1 - L0 + alpha s) / alpha^2), which turns 1e-6 differences in the weights into about 1% (measured 1.4%).
      expect(f.stability).toBeDefined();
      const fl = f.stability!.limit,
        gl = g.stability!.limit;
      expect(fl.length).toBe(gl.length);
      let finite = 0;
      fl.forEach((x, j) => {
        if (Number.isFinite(gl[j]) && gl[j] > 0) {
          expect(close(x, gl[j], 5e-2), `limit[${j}] ${x} vs ${gl[j]}`).toBe(true);
          finite++;
        }
      });
      expect(finite).toBeGreaterThan(0);
    }, 120_000);

  it('refuses an unknown update place by name', async () => {
    await expect(runProbe({ ...base, engine: 'ort', ortUpdate: 'gpu' as never })).rejects.toThrow(
      'extract: ortUpdate = "gpu" is invalid: expected one of host, graph',
    );
  });
});
