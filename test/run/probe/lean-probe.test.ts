/**
 * The lean probe: Adam#SGD with a factored second moment (--magnitude), and the probe of a shallower proxy
 * mapped onto the model (--proxy-layers), end to end through runProbe / extractSchedule and the artifact file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractSchedule } from '../../../src/run/probe/extract.js';
import { runProbe, validateProbeOptions } from '../../../src/run/probe/probe.js';
import { proxyLayerMap } from '../../../src/run/probe/proxy.js';
import { loadArtifact, loadTrace, saveArtifact, saveTrace } from '../../../src/schedule/files.js';
import { formatArtifactTable } from '../../../src/schedule/inspect.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { tinySetup } from '../train/tiny.js';

let base: Partial<RunOptions>;
beforeAll(async () => {
  ({ base } = await tinySetup());
});

const probeRun = { engine: 'ort' as const, totalSteps: 60, probeSteps: 6, lr: 0.003, warmup: 0.05 };
const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-30);

describe('the lean probe (factored second moment)', () => {
  it('records its magnitude, keeps the same vector steps as Adam at the first step, and reports factors of every tensor', async () => {
    const adam = await runProbe({ ...base, ...probeRun, magnitude: 'adam' });
    const lean = await runProbe({ ...base, ...probeRun, magnitude: 'factored-rms' });
    expect(lean.trace.meta.probe.magnitude.name).toBe('factored-rms');
    expect(lean.trace.meta.probe.magnitude.hyperparameters.beta1).toBe(0);
    expect(adam.trace.meta.probe.magnitude.name).toBe('adam');
    expect(lean.trace.loss[0]).toBe(adam.trace.loss[0]); // the same model and batch before any update
    const groups = adam.trace.meta.model.groups;
    let vectors = 0,
      matricesDiffer = 0;
    groups.forEach((g, k) => {
      // step 0: m / c1 = g for both; a vector keeps v whole, so its step is Adam's; a matrix uses v~ = R C / mean(R)
      if (g.shape.length === 1 && adam.trace.gradNorm[k] > 1e-6) {
        expect(close(lean.trace.uAdamNorm[k], adam.trace.uAdamNorm[k], 1e-4), g.name).toBe(true);
        vectors++;
      }
      if (g.shape.length === 2 && !close(lean.trace.uAdamNorm[k], adam.trace.uAdamNorm[k], 1e-3)) matricesDiffer++;
    });
    expect(vectors).toBeGreaterThan(3);
    expect(matricesDiffer).toBeGreaterThan(0);
    expect(Object.keys(lean.trace.secondMoments!.params).sort()).toEqual(Object.keys(adam.trace.secondMoments!.params).sort());
    expect(lean.trace.secondMoments!.step).toBe(6);
  }, 60_000);

  it('factored-adam-bf16 records its bfloat16 first moment and follows factored-adam within bfloat16 precision', async () => {
    const f32 = await runProbe({ ...base, ...probeRun, magnitude: 'factored-adam' });
    const bf16 = await runProbe({ ...base, ...probeRun, magnitude: 'factored-adam-bf16' });
    expect(bf16.trace.meta.probe.magnitude.name).toBe('factored-adam-bf16');
    expect(bf16.trace.meta.probe.magnitude.hyperparameters.firstMoment).toBe('bfloat16');
    expect(f32.trace.meta.probe.magnitude.hyperparameters.firstMoment).toBeUndefined();
    let compared = 0;
    f32.trace.uAdamNorm.forEach((u, k) => {
      if (u > 1e-6) {
        expect(close(bf16.trace.uAdamNorm[k], u, 0.02)).toBe(true);
        compared++;
      }
    });
    expect(compared).toBeGreaterThan(10);
  }, 60_000);

  it('defaults to factored-adam-bf16 where it runs (ort, update on the host) and to full Adam elsewhere', () => {
    expect(validateProbeOptions({ ...base, engine: undefined }).magnitude).toBe('factored-adam-bf16'); // ort is the default engine
    expect(validateProbeOptions({ ...base, engine: 'ort' }).magnitude).toBe('factored-adam-bf16');
    expect(validateProbeOptions({ ...base, engine: 'ort', ortUpdate: 'graph' }).magnitude).toBe('adam');
    expect(validateProbeOptions({ ...base, engine: 'tfjs' }).magnitude).toBe('adam');
    expect(validateProbeOptions({ ...base, engine: 'ort', magnitude: 'adam' }).magnitude).toBe('adam');
  });

  it('refuses a factored magnitude off the ort host update, and an unknown one, by name', async () => {
    await expect(runProbe({ ...base, engine: 'tfjs', magnitude: 'factored-adam' })).rejects.toThrow(
      'extract: the factored-adam magnitude runs on the ort engine',
    );
    await expect(runProbe({ ...base, engine: 'ort', ortUpdate: 'graph', magnitude: 'factored-rms' })).rejects.toThrow(
      'with the update on the host',
    );
    await expect(runProbe({ ...base, engine: 'ort', magnitude: 'lion' as never })).rejects.toThrow(
      'extract: magnitude = "lion" is invalid: expected one of adam, factored-adam, factored-adam-bf16, factored-rms',
    );
  });
});

describe('the proxy probe', () => {
  it('maps layers by relative depth', () => {
    expect(proxyLayerMap(1, 2)).toEqual([0, 0]);
    expect(proxyLayerMap(2, 4)).toEqual([0, 0, 1, 1]);
    expect(proxyLayerMap(6, 12)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(proxyLayerMap(3, 4)).toEqual([0, 1, 1, 2]); // depths 1/8, 3/8, 5/8, 7/8 times 3: 0.375, 1.125, 1.875, 2.625
    expect(() => proxyLayerMap(2, 2)).toThrow('proxyLayers = 2 is invalid: expected an integer in [1, 1] (the model has 2 layers)');
  });

  it("probes a 1-layer copy of a 2-layer model and writes the 2-layer model's artifact, saying so in inspect", async () => {
    const twoLayers = { ...base, configOverrides: { ...base.configOverrides, numLayers: 2 } };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-proxy-'));
    const { probe, artifact } = await extractSchedule({
      ...twoLayers,
      ...probeRun,
      proxyLayers: 1,
      magnitude: 'factored-rms',
      stabilityBatches: 1,
    });
    const trace = probe.trace;
    expect(trace.meta.probe.proxy).toMatchObject({ numLayers: 1, layerMap: [0, 0] });
    const names = trace.meta.model.groups.map((g) => g.name);
    expect(names.filter((n) => n.startsWith('encoder.layer.1.')).length).toBeGreaterThan(5);
    expect(artifact.model.fingerprint).toBe(trace.meta.model.fingerprint);
    // every encoder.layer.1 column is the proxy's layer 0 column
    const G = names.length;
    for (const [k, name] of names.entries()) {
      if (!name.startsWith('encoder.layer.1.')) continue;
      const from = names.indexOf(name.replace('encoder.layer.1.', 'encoder.layer.0.'));
      for (let i = 0; i < trace.steps.length; i++) expect(trace.uAdamNorm[i * G + k]).toBe(trace.uAdamNorm[i * G + from]);
      expect(trace.stability!.limit[k]).toBe(trace.stability!.limit[from]);
    }
    expect(trace.secondMoments!.params['encoder.layer.1.output.dense.kernel']).toBe(
      trace.secondMoments!.params['encoder.layer.0.output.dense.kernel'],
    );
    // the files keep what the probe was
    saveTrace(path.join(dir, 'p.trace'), trace);
    saveArtifact(path.join(dir, 'p.graft'), artifact);
    expect(loadTrace(path.join(dir, 'p.trace')).meta.probe.proxy).toEqual(trace.meta.probe.proxy);
    const loaded = loadArtifact(path.join(dir, 'p.graft'));
    expect(loaded.probe.proxy).toEqual(trace.meta.probe.proxy);
    expect(formatArtifactTable(loaded)).toContain("on a 1-layer proxy of the 2-layer model: layer k's groups from proxy layer 0<-0, 1<-0");
    expect(formatArtifactTable(loaded)).toContain('factored-rms(');
  }, 60_000);

  it('refuses a proxy with groups that span layers, or as deep as the model', async () => {
    const twoLayers = { ...base, configOverrides: { ...base.configOverrides, numLayers: 2 } };
    await expect(runProbe({ ...twoLayers, engine: 'ort', proxyLayers: 1, grouping: 'type' })).rejects.toThrow(
      'extract: a proxy probe needs grouping tensor or block',
    );
    await expect(runProbe({ ...twoLayers, engine: 'ort', proxyLayers: 2 })).rejects.toThrow('proxyLayers = 2 is invalid');
  });
});
