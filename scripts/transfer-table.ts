/**
 * The transfer table of schedules made elsewhere: for each compare report (one target corpus each), the gap closure
 * of the schedule probed on that corpus ("fresh", the report's probed static variant) and of each schedule file
 * (`compare --schedule-files`), and what share of the fresh schedule's closure each file keeps, per seed:
 *
 *   kept_s = closure_file,s / closure_fresh,s        (closure = (loss_SGD - loss) / (loss_SGD - loss_Adam), seed s)
 *
 * printed as mean ± sample sd over the seeds, in domain and out of domain.
 *
 *   node bin/run-script.mjs scripts/transfer-table.ts runs/c24-moby/report.json runs/c24-kjv/report.json
 */
import * as fs from 'node:fs';

interface Stat {
  values: number[];
}
interface Method {
  family: string;
  variant: string | null;
  setting: number;
  seeds: number[];
  gapClosure: { heldout: Stat; ood: Stat };
}
interface Report {
  options: { corpus: string | string[]; preset: string };
  methods: Method[];
}

const meanSd = (xs: number[]): string => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : NaN;
  return `${m.toFixed(3)} ± ${Number.isNaN(sd) ? '-' : sd.toFixed(3)}`;
};
const ratios = (a: Stat, b: Stat): number[] => a.values.map((x, i) => x / b.values[i]);

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node bin/run-script.mjs scripts/transfer-table.ts <report.json>...');
  process.exit(2);
}
console.log(
  '| target corpus | schedule | scale | seeds | gap closure in-domain | out of domain | kept of fresh, in-domain | out of domain |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const file of files) {
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  const corpus = Array.isArray(r.options.corpus) ? r.options.corpus.map((c) => c.split('/').pop()).join(',') : r.options.corpus;
  const statics = r.methods.filter((m) => m.family === 'static');
  const fresh = statics.filter((m) => !m.variant!.startsWith('file-'));
  if (fresh.length !== 1) throw new Error(`${file}: expected one probed static variant, found ${fresh.length}`);
  for (const m of [fresh[0], ...statics.filter((s) => s.variant!.startsWith('file-'))]) {
    const isFresh = m === fresh[0];
    console.log(
      `| ${corpus} | ${isFresh ? 'fresh (probed on it)' : m.variant} | x${m.setting} | ${m.seeds.join(',')} | ` +
        `${meanSd(m.gapClosure.heldout.values)} | ${meanSd(m.gapClosure.ood.values)} | ` +
        `${isFresh ? '1' : meanSd(ratios(m.gapClosure.heldout, fresh[0].gapClosure.heldout))} | ` +
        `${isFresh ? '1' : meanSd(ratios(m.gapClosure.ood, fresh[0].gapClosure.ood))} |`,
    );
  }
}
