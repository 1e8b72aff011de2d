/**
 * Count-based reference losses on the exact held-out batches that `train` and `compare` evaluate
 * (seed EVAL_SEED, --eval-sequences rows per split, --batch-size rows per batch): a unigram predictor
 * (no context) and a left-neighbour bigram (src/run/eval/count-baselines.ts), both counted on the training split.
 * A model's held-out loss between the two uses little of its context.
 *
 *   node bin/run-script.mjs scripts/count-baselines.ts [--batch-size 16] [--seq-len 64] [--eval-sequences 256]
 *     [--corpus sotu] [--vocab-size 8192] [--cache-dir .cache/graftlr]
 */
import { parseArgs } from 'node:util';
import { prepareData } from '../src/data/prepare.js';
import { heldoutCountBaselines } from '../src/run/eval/count-baselines.js';

const { values: a } = parseArgs({
  options: {
    'batch-size': { type: 'string', default: '16' },
    'seq-len': { type: 'string', default: '64' },
    'eval-sequences': { type: 'string', default: '256' },
    corpus: { type: 'string', default: 'sotu' },
    'vocab-size': { type: 'string', default: '8192' },
    'cache-dir': { type: 'string', default: '.cache/graftlr' },
  },
});
const corpus = a.corpus === 'sotu' ? 'sotu' : a.corpus!.split(',');
const data = prepareData({ corpus, vocabSize: Number(a['vocab-size']), seqLen: Number(a['seq-len']), cacheDir: a['cache-dir'] });
const baselines = heldoutCountBaselines(data, Number(a['batch-size']), Number(a['eval-sequences']));
for (const split of ['heldout', 'ood'] as const) {
  const r = baselines[split];
  if (r === null) continue;
  console.log(`${split}: unigram ${r.unigram.toFixed(4)}, left bigram ${r.leftBigram.toFixed(4)} (${r.tokens} masked tokens)`);
}
