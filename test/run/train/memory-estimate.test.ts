/**
 * The memory estimate that refuses runs which cannot fit, derived by hand for BERT-base at batch 8 x 128
 * (ort, static; P = 92,342,528 parameters, H 768, I 3072, A 12, L 12, V 8192, BT = 1024):
 *   parameters   2 P x 4 B                                                   =   738,740,224 B
 *   activations  (12 (8 BT H + 2 BT I + 3 B A T^2) + 1.2 BT V) x 4 B
 *              = (12 x 17,301,504 + 10,066,329.6) x 4 B                      =   870,737,510.4 B
 *   the rest                                                                  =   300,000,000 B
 */
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../../../src/model/config.js';
import { checkRunFits, estimateRunBytes } from '../../../src/run/train/memory-estimate.js';
import { runTraining } from '../../../src/run/train/run.js';
import { runProbe } from '../../../src/run/probe/probe.js';

const GiB24 = 24 * 2 ** 30;

describe('memory estimate', () => {
  it('matches the hand-derived estimate for BERT-base static at 8 x 128', () => {
    const e = estimateRunBytes(presetConfig('base'), { batchSize: 8, seqLen: 128, kind: 'static', engine: 'ort' });
    expect(e.parameterBytes).toBe(738_740_224);
    expect(e.activationBytes).toBeCloseTo(870_737_510.4, 0);
    expect(e.totalBytes).toBeCloseTo(1_909_477_734.4, 0);
    // The probe keeps the moments and a gradient with its copy: 5 P instead of 2 P.
    expect(estimateRunBytes(presetConfig('base'), { batchSize: 8, seqLen: 128, kind: 'probe', engine: 'ort' }).parameterBytes).toBe(
      5 * 4 * 92_342_528,
    );
  });

  it('lets ordinary runs through on 24 GiB and refuses the huge batch in one line', () => {
    for (const preset of ['tiny', 'mini', 'small', 'base']) {
      for (const [batchSize, seqLen] of [
        [8, 128],
        [64, 16],
        [64, 128],
      ]) {
        for (const kind of ['static', 'adam', 'probe'] as const) {
          expect(
            () => checkRunFits(presetConfig(preset), { batchSize, seqLen, kind, engine: 'ort' }, 'train', GiB24),
            `${preset} ${batchSize}x${seqLen} ${kind}`,
          ).not.toThrow();
        }
      }
    }
    expect(() =>
      checkRunFits(presetConfig('large'), { batchSize: 8, seqLen: 128, kind: 'static', engine: 'ort' }, 'train', GiB24),
    ).not.toThrow();
    expect(() =>
      checkRunFits(
        presetConfig('tiny', { vocabSize: 300 }),
        { batchSize: 1_000_000, seqLen: 16, kind: 'sgd', engine: 'ort' },
        'train',
        GiB24,
      ),
    ).toThrow(
      /^train: this run needs about \d+\.\d GiB \(parameters and optimizer state 0\.0 GiB, activations \d+\.\d GiB at batch 1000000 x 16\), and this machine has 24\.0 GiB: lower --batch-size or --seq-len, or pass --no-memory-check to try anyway$/,
    );
  });

  it('train and extract refuse before preparing any data', async () => {
    const huge = { preset: 'tiny', vocabSize: 300, batchSize: 1_000_000, seqLen: 16, corpus: ['/no/such/corpus.txt'] };
    await expect(runTraining({ ...huge, optimizer: 'sgd' })).rejects.toThrow(/^train: this run needs about/);
    await expect(runProbe({ ...huge })).rejects.toThrow(/^extract: this run needs about/);
  });
});
