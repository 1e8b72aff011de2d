/**
 * The memory benchmark's table and targets from hand-made rows (the real runs take minutes at BERT sizes:
 * `npm run bench:memory`). Ratios: 1000 / 2000 = 0.50x, 1000 / 2500 = 0.40x; the targets compare against
 * 1x PyTorch SGD, 0.75x and 1.1x PyTorch Adam, and 1.3x graftlr static's ms/step.
 */
import { describe, expect, it } from 'vitest';
import { formatMemoryBench, memoryTargets, type MemoryBenchResult, type MemoryRow } from '../../../src/experiments/bench/memory.js';

const rows: MemoryRow[] = [
  { preset: 'base', job: 'static', peakRssMiB: 1000, msPerStep: 3000 },
  { preset: 'base', job: 'probe', peakRssMiB: 2800, msPerStep: 4000 },
  { preset: 'base', job: 'probe-factored-adam', peakRssMiB: 2100, msPerStep: 3900 },
  { preset: 'base', job: 'probe-factored-rms', peakRssMiB: 900, msPerStep: 3900 },
  { preset: 'base', job: 'adam', peakRssMiB: null, msPerStep: null, failed: 'stopped by a timeout of 10 s' },
  { preset: 'base', job: 'torch-sgd', peakRssMiB: 2000, msPerStep: 2900 },
  { preset: 'base', job: 'torch-adam', peakRssMiB: 2500, msPerStep: 3100 },
];

describe('memory benchmark report', () => {
  it('checks each target against the measured rows', () => {
    const t = Object.fromEntries(memoryTargets(rows).map((x) => [x.name, x]));
    expect(t['base: static peak RSS <= PyTorch SGD']).toMatchObject({ pass: true, detail: '1000 MiB vs 2000 MiB (0.50x)' });
    expect(t['base: static peak RSS <= 0.75x PyTorch Adam']).toMatchObject({ pass: true, detail: '1000 MiB vs 1875 MiB (0.40x)' });
    expect(t['base: probe peak RSS <= 1.1x PyTorch Adam']).toMatchObject({ pass: false, detail: '2800 MiB vs 2750 MiB (1.12x)' });
    // a lean pipeline peaks at the larger of its two jobs: max(2100, 1000) and max(900, 1000) against 0.8 x 2500
    expect(t['base: lean pipeline (probe --magnitude factored-adam, then static) peak RSS <= 0.8x PyTorch Adam']).toMatchObject({
      pass: false,
      detail: '2100 MiB vs 2000 MiB (0.84x)',
    });
    expect(t['base: lean pipeline (probe --magnitude factored-rms, then static) peak RSS <= 0.8x PyTorch Adam']).toMatchObject({
      pass: true,
      detail: '1000 MiB vs 2000 MiB (0.40x)',
    });
    expect(t['base: static ms/step <= PyTorch SGD']).toMatchObject({ pass: false });
    expect(t['base: probe ms/step <= 1.3x static']).toMatchObject({ pass: false, detail: '4000 ms vs 3900 ms (1.33x)' });
    expect(t['large: static peak RSS <= PyTorch SGD']).toMatchObject({ pass: null, detail: 'not measured' });
  });

  it('prints one table row per job, failed jobs with their reason', () => {
    const result: MemoryBenchResult = {
      options: { presets: ['base'], batchSize: 8, seqLen: 128, steps: 3, timeoutSeconds: 10 },
      rows,
      torch: { available: true, version: '1.13', blasKernel: 'OpenBLAS SkylakeX' },
      targets: memoryTargets(rows),
    };
    const text = formatMemoryBench(result);
    expect(text).toContain('PyTorch 1.13 on OpenBLAS SkylakeX');
    expect(text).toContain('| base | graftlr static | 1000 MiB | 3000 | 0.50x | 0.40x |');
    expect(text).toContain('| base | graftlr probe --magnitude factored-adam | 2100 MiB | 3900 | 1.05x | 0.84x |');
    expect(text).toContain('| base | graftlr adam | failed: stopped by a timeout of 10 s | - | - | - |');
    expect(text).toContain('FAIL  base: probe peak RSS <= 1.1x PyTorch Adam: 2800 MiB vs 2750 MiB (1.12x)');
    expect(text).toContain('n/a   large: static peak RSS <= PyTorch SGD: not measured');
  });
});
