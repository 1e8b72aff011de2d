/**
 * The optimizer benchmark behind `npm run bench` / `graftlr bench`: Adam, plain SGD, static SGD and the
 * grafted probe, each a short real training run (same data, batch, engine) in its own process, measured
 * side by side in one call. Reports the median ms/step after warm-up, tokens/s, peak RSS and optimizer
 * state bytes, and the overhead ratios the product promises:
 *   probe / Adam (cost of extracting),  static SGD / plain SGD (cost of the schedule: should be ~1).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareData } from '../../data/prepare.js';
import { buildArtifact } from '../../schedule/artifact.js';
import { compressTrace, withRecommendedDefaults } from '../../schedule/compress.js';
import { loadTrace, saveArtifact } from '../../schedule/files.js';
import type { TrainOptions } from '../../run/train/train-options.js';
import { runInChild } from '../compare/run-child.js';
import type { EngineName } from '../../engine/types.js';

export interface BenchOptions {
  preset: string;
  engines: EngineName[];
  steps: number;
  batchSize: number;
  seqLen: number;
  backend?: string;
  cacheDir?: string;
}

export interface BenchRow {
  engine: EngineName;
  optimizer: 'adam' | 'sgd' | 'static' | 'probe';
  msPerStep: number;
  tokensPerSecond: number;
  peakRssMiB: number;
  optimizerStateBytes: number | null;
}

export interface BenchResult {
  options: BenchOptions;
  rows: BenchRow[];
  /** Per engine: probe ms / Adam ms, static ms / SGD ms, Adam ms / static ms. */
  ratios: Record<string, { probeOverAdam: number; staticOverSgd: number; adamOverStatic: number }>;
}

export async function runBench(o: BenchOptions, onRun?: (label: string) => void): Promise<BenchResult> {
  prepareData({ corpus: 'sotu', seqLen: o.seqLen, cacheDir: o.cacheDir });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-bench-'));
  const rows: BenchRow[] = [];
  const ratios: BenchResult['ratios'] = {};
  try {
    for (const engine of o.engines) {
      const base: Partial<TrainOptions> = {
        preset: o.preset,
        batchSize: o.batchSize,
        seqLen: o.seqLen,
        steps: o.steps,
        engine,
        cacheDir: o.cacheDir,
        evalSequences: 0,
        evalEvery: 0,
        checkpointEvery: 0,
      };
      const tracePath = path.join(tmp, `${engine}.trace`);
      onRun?.(`${engine} probe`);
      const probe = await runInChild({
        kind: 'probe',
        backend: o.backend,
        tracePath,
        options: { ...base, totalSteps: o.steps * 10, probeSteps: o.steps },
      });
      if (probe.kind !== 'probe') throw new Error('bench: the probe run answered with a training reply');
      rows.push({
        engine,
        optimizer: 'probe',
        msPerStep: probe.msPerStepMedian,
        tokensPerSecond: probe.tokensPerSecond,
        peakRssMiB: probe.peakRssBytes / 2 ** 20,
        optimizerStateBytes: null,
      });
      const trace = loadTrace(tracePath);
      const artifact = path.join(tmp, `${engine}.graft`);
      saveArtifact(artifact, buildArtifact({ trace, compressed: compressTrace(trace, withRecommendedDefaults()) }));
      const runs: [BenchRow['optimizer'], Partial<TrainOptions>][] = [
        ['adam', { optimizer: 'adam' }],
        ['sgd', { optimizer: 'sgd' }],
        ['static', { optimizer: 'static', schedule: artifact }],
      ];
      for (const [name, extra] of runs) {
        onRun?.(`${engine} ${name}`);
        const r = await runInChild({ kind: 'train', backend: o.backend, options: { ...base, ...extra } });
        if (r.kind !== 'train') throw new Error('bench: a training run answered with a probe reply');
        rows.push({
          engine,
          optimizer: name,
          msPerStep: r.summary.msPerStepMedian,
          tokensPerSecond: r.summary.tokensPerSecond,
          peakRssMiB: r.summary.peakRssBytes / 2 ** 20,
          optimizerStateBytes: r.summary.optimizerStateBytes,
        });
      }
      const ms = (name: BenchRow['optimizer']) => rows.find((r) => r.engine === engine && r.optimizer === name)!.msPerStep;
      ratios[engine] = {
        probeOverAdam: ms('probe') / ms('adam'),
        staticOverSgd: ms('static') / ms('sgd'),
        adamOverStatic: ms('adam') / ms('static'),
      };
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { options: o, rows, ratios };
}

export function formatBench(b: BenchResult): string {
  const head = `optimizer benchmark: ${b.options.preset}, batch ${b.options.batchSize} x ${b.options.seqLen}, ${b.options.steps} steps per run (median after warm-up)`;
  const lines = [head, '', 'engine  optimizer  ms/step  tokens/s  peak RSS  optimizer state'];
  for (const r of b.rows) {
    lines.push(
      `${r.engine.padEnd(8)}${r.optimizer.padEnd(11)}${r.msPerStep.toFixed(0).padStart(7)}  ${r.tokensPerSecond.toFixed(0).padStart(8)}  ` +
        `${r.peakRssMiB.toFixed(0).padStart(5)} MiB  ${r.optimizerStateBytes === null ? '(Adam + graft)' : `${r.optimizerStateBytes} B`}`,
    );
  }
  lines.push('');
  for (const [engine, r] of Object.entries(b.ratios)) {
    lines.push(
      `${engine}: probe/Adam ${r.probeOverAdam.toFixed(2)}x, static/SGD ${r.staticOverSgd.toFixed(2)}x, Adam/static ${r.adamOverStatic.toFixed(2)}x`,
    );
  }
  return lines.join('\n');
}
