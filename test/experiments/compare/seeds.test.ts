/**
 * compare over seeds with a fake job runner (no training): which runs each seed gets (sweeps on the first
 * seed only, the winners on the others), mean ± sd, gap closure per seed and from the means, the rank,
 * and the report.json fields, all against hand calculations.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, lossCurvesSvg, reportMarkdown } from '../../../src/experiments/compare/report.js';
import { ChildStoppedError, RunFailedError, type ChildJob, type ChildReply } from '../../../src/experiments/compare/run-child.js';
import { runCompare, type JobRunner } from '../../../src/experiments/compare/run.js';
import { runProbe } from '../../../src/run/probe/probe.js';
import type { PreconditionerKind } from '../../../src/schedule/compress.js';
import { buildArtifact } from '../../../src/schedule/artifact.js';
import { compressTrace } from '../../../src/schedule/compress.js';
import { loadArtifact, loadTrace, saveArtifact, saveTrace } from '../../../src/schedule/files.js';
import type { TrainSummary } from '../../../src/run/train/run.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { tinySetup, writeTinyCorpus } from '../../run/train/tiny.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-seeds-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tracePath = path.join(tmp, 'probe.trace');
const corpus = writeTinyCorpus(tmp);

/** The model of the probe below (a compare given a schedule file checks the file against its model). */
let probedModel: RunOptions['configOverrides'] = {};

beforeAll(async () => {
  const { base } = await tinySetup();
  probedModel = base.configOverrides!;
  saveTrace(tracePath, (await runProbe({ ...base, totalSteps: 20, probeSteps: 4, lr: 0.002 })).trace);
});

/** In-domain held-out loss of each (run kind, setting) per seed; OOD is 1.0 higher (static: 1.2). */
const HELDOUT: Record<string, number[]> = {
  'adam 0.001': [5.0],
  'adam 0.002': [4.0, 4.2, 4.1],
  'sgd 0.5': [6.5],
  'sgd 1': [6.0, 6.4, 6.2],
  'graft 0.002': [5.5, 5.5, 5.5],
  'static 2': [5.0],
  'static 4': [4.5, 4.7, 4.8],
  'hybrid 4': [4.3, 4.4, 4.2],
};

/** Answers like a child process would, from the table above; sgd lr 2 diverges. Records every job. */
function fakeRunner(jobs: ChildJob[], table = HELDOUT): JobRunner {
  return async (job: ChildJob): Promise<ChildReply> => {
    jobs.push(job);
    if (job.kind === 'probe') {
      fs.mkdirSync(path.dirname(job.tracePath), { recursive: true });
      fs.copyFileSync(tracePath, job.tracePath);
      return {
        kind: 'probe',
        tracePath: job.tracePath,
        wallSeconds: 1,
        peakRssBytes: 2 ** 20,
        steps: 4,
        msPerStepMedian: 1,
        tokensPerSecond: 1,
      };
    }
    const o = job.options;
    if (o.optimizer === 'sgd' && o.lr === 2) throw new RunFailedError('step 3: non-finite gradient');
    const setting = o.optimizer === 'static' || o.optimizer === 'hybrid' ? o.scheduleScale : o.lr;
    const factored = String(o.schedule ?? '').includes('-factored-') ? ' factored' : '';
    const file = String(o.schedule ?? '').includes('shipped') ? ' file' : ''; // --schedule-files' test schedule
    const loss = table[`${o.optimizer} ${setting}${factored}${file}`][o.seed!];
    const ood = loss + (o.optimizer === 'static' ? 1.2 : 1.0);
    const stateBytes = o.optimizer === 'adam' || o.optimizer === 'graft' ? 8000 : o.optimizer === 'hybrid' ? 800 : 0;
    const summary = {
      heldout: { loss, accuracy: 0.1 + o.seed! / 100, tokens: 10 },
      ood: { loss: ood, accuracy: 0.05, tokens: 10 },
      trainLoss: loss,
      wallSeconds: 1,
      msPerStepMedian: 10 + o.seed!,
      tokensPerSecond: 100,
      optimizerStateBytes: stateBytes,
      paramCount: 1000,
      statefulParams: stateBytes / 8,
      peakRssBytes: 100 * 2 ** 20,
    } as TrainSummary;
    return {
      kind: 'train',
      summary,
      curve: [
        [1, loss + 1],
        [2, loss],
      ],
      evalCurve: [[2, loss, ood]],
    };
  };
}

const options = (out: string) => ({
  corpus: [corpus],
  vocabSize: 64,
  seqLen: 16,
  cacheDir: path.join(tmp, 'cache'),
  steps: 20,
  evalPoints: 1,
  adamLrs: [1e-3, 2e-3],
  sgdLrs: [0.5, 1, 2],
  staticScales: [2, 4],
  seeds: [0, 1, 2],
  outDir: path.join(tmp, out),
  preconditioners: ['none'] as PreconditionerKind[], // the fake tables name static runs by scale (and "factored")
  capRatios: [0], // uncapped names, as the tables below were written
});

describe('compare over seeds (fake runs)', () => {
  it('sweeps on the first seed, runs the winners on the others, and aggregates by hand-checked numbers', async () => {
    const jobs: ChildJob[] = [];
    const result = await runCompare(options('tune-first'), { runJob: fakeRunner(jobs) });
    const trainJobs = jobs.filter((j) => j.kind === 'train').map((j) => j.options);
    const seedsOf = (optimizer: string, setting: number) =>
      trainJobs
        .filter(
          (j) => j.optimizer === optimizer && (j.optimizer === 'static' || j.optimizer === 'hybrid' ? j.scheduleScale : j.lr) === setting,
        )
        .map((j) => j.seed);
    // The sweeps ran on seed 0 only; the winners (Adam 2e-3, SGD 1, static x4) on every seed.
    expect(seedsOf('adam', 1e-3)).toEqual([0]);
    expect(seedsOf('adam', 2e-3)).toEqual([0, 1, 2]);
    expect(seedsOf('sgd', 0.5)).toEqual([0]);
    expect(seedsOf('sgd', 2)).toEqual([0]); // diverged: not selected
    expect(seedsOf('sgd', 1)).toEqual([0, 1, 2]);
    expect(seedsOf('static', 2)).toEqual([0]);
    expect(seedsOf('static', 4)).toEqual([0, 1, 2]);
    // The graft and the probes run at the best Adam lr; each seed probes its own schedule and trains with it.
    expect(trainJobs.filter((j) => j.optimizer === 'graft').map((j) => [j.seed, j.lr])).toEqual([
      [0, 2e-3],
      [1, 2e-3],
      [2, 2e-3],
    ]);
    const probes = jobs.filter((j) => j.kind === 'probe');
    expect(probes.map((j) => [j.options.seed, j.options.lr])).toEqual([
      [0, 2e-3],
      [1, 2e-3],
      [2, 2e-3],
    ]);
    for (const j of trainJobs.filter((x) => x.optimizer === 'static' || x.optimizer === 'hybrid')) {
      expect(j.schedule).toMatch(new RegExp(`-s${j.seed}\\.graft$`));
    }
    // Hybrid: at the best static scale, with Adam's best lr, on every seed.
    expect(trainJobs.filter((j) => j.optimizer === 'hybrid').map((j) => [j.seed, j.scheduleScale, j.hybridAdamLr])).toEqual([
      [0, 4, 2e-3],
      [1, 4, 2e-3],
      [2, 4, 2e-3],
    ]);

    const report = JSON.parse(JSON.stringify(buildReport(result)));
    expect(report.seeds).toEqual([0, 1, 2]);
    expect(report.tuneSeeds).toEqual([0]);
    // Rank by mean held-out: adam (4.0+4.2+4.1)/3 = 4.1, hybrid 4.3, static 4.6667, graft 5.5, sgd 6.2.
    expect(report.methods.map((m: { method: string }) => m.method)).toEqual([
      'adam',
      'hybrid tensor-p0.1-factorized-skip0.2-norm',
      'static tensor-p0.1-factorized-skip0.2-norm',
      'graft',
      'sgd',
    ]);
    expect(report.methods.map((m: { stateless: boolean }) => m.stateless)).toEqual([false, false, true, false, true]);
    const st = report.methods[2];
    expect(st.setting).toBe(4);
    expect(st.seeds).toEqual([0, 1, 2]);
    // mean (4.5 + 4.7 + 4.8) / 3 = 4.666667; sd sqrt(((-1/6)^2 + (1/30)^2 + (2/15)^2) / 2) = sqrt(0.0466667 / 2) = 0.152753
    expect(st.heldoutLoss.mean).toBeCloseTo(4.666667, 6);
    expect(st.heldoutLoss.sd).toBeCloseTo(0.152753, 6);
    expect(st.heldoutLoss.values).toEqual([4.5, 4.7, 4.8]);
    // Per seed against that seed's best Adam / SGD: (6.0-4.5)/(6.0-4.0) = 0.75, (6.4-4.7)/(6.4-4.2) = 0.772727,
    // (6.2-4.8)/(6.2-4.1) = 0.666667; mean 0.729798, sd 0.055842.
    expect(st.gapClosure.heldout.values.map((x: number) => Number(x.toFixed(6)))).toEqual([0.75, 0.772727, 0.666667]);
    expect(st.gapClosure.heldout.mean).toBeCloseTo(0.729798, 6);
    expect(st.gapClosure.heldout.sd).toBeCloseTo(0.055842, 6);
    // OOD (static +1.2, baselines +1.0): (7.0-5.7)/2 = 0.65, (7.4-5.9)/2.2 = 0.681818, (7.2-6.0)/2.1 = 0.571429.
    expect(st.gapClosure.ood.values.map((x: number) => Number(x.toFixed(6)))).toEqual([0.65, 0.681818, 0.571429]);
    // From the means: (6.2 - 4.666667) / (6.2 - 4.1) = 0.730159; OOD (7.2 - 5.866667) / (7.2 - 5.1) = 0.634921.
    expect(st.gapClosure.heldoutFromMeans).toBeCloseTo(0.730159, 6);
    expect(st.gapClosure.oodFromMeans).toBeCloseTo(0.634921, 6);
    // Accuracy 0.10, 0.11, 0.12: mean 0.11, sd 0.01. ms/step 10, 11, 12: mean 11.
    expect(st.heldoutAccuracy.mean).toBeCloseTo(0.11, 12);
    expect(st.heldoutAccuracy.sd).toBeCloseTo(0.01, 12);
    expect(st.msPerStep.mean).toBeCloseTo(11, 12);
    expect(st.artifactBytes).toBe(
      fs.statSync(path.join(tmp, 'tune-first', 'schedules', 'tensor-p0.1-factorized-skip0.2-norm-s0.graft')).size,
    );
    expect(st.optimizerStateBytes).toBe(0);
    const hy = report.methods[1];
    expect([hy.optimizerStateBytes, hy.statefulFraction, hy.hybridAdamLr, hy.artifactBytes]).toEqual([800, 0.1, 2e-3, st.artifactBytes]);
    // Adam against itself closes the whole gap on every seed.
    expect(report.methods[0].gapClosure.heldout.values).toEqual([1, 1, 1]);
    expect(report.seedBaselines[1]).toEqual({
      seed: 1,
      adam: { run: 'adam-lr0.002-s1', heldout: 4.2, ood: 5.2 },
      sgd: { run: 'sgd-lr1-s1', heldout: 6.4, ood: 7.4 },
    });
    // Every run is listed; the diverged one last.
    expect(report.ranked.at(-1)).toMatchObject({ name: 'sgd-lr2-s0', seed: 0, error: 'step 3: non-finite gradient' });
    const md = reportMarkdown(result, buildReport(result), 'graftlr compare --seeds 0,1,2');
    expect(md).toContain('| 3 | static tensor-p0.1-factorized-skip0.2-norm | scale 4 | yes | 3 | 4.6667 ± 0.1528 | 11.0% ± 1.0% |');
    expect(md.split('\n').slice(0, 6).join('\n')).toContain('graftlr compare --seeds 0,1,2');
  });

  it('a preconditioner variant flows through seeds, selection and rank like any static variant', async () => {
    const jobs: ChildJob[] = [];
    // factored: x2 wins on seed 0 (4.2 < 4.6); seeds 1, 2 then run x2 only: mean (4.2 + 4.3 + 4.4) / 3 = 4.3.
    const table = { ...HELDOUT, 'static 2 factored': [4.2, 4.3, 4.4], 'static 4 factored': [4.6] };
    const result = await runCompare(
      { ...options('precond'), preconditioners: ['none', 'factored'], includeGraft: false, includeHybrid: false },
      { runJob: fakeRunner(jobs, table) },
    );
    const factored = jobs
      .filter((j) => j.kind === 'train' && String(j.options.schedule).includes('-factored-'))
      .map((j) => j.kind === 'train' && [j.options.seed, j.options.scheduleScale, path.basename(String(j.options.schedule))]);
    expect(factored).toEqual([
      [0, 2, 'tensor-p0.1-factorized-skip0.2-norm-factored-e0.5-s0.graft'],
      [0, 4, 'tensor-p0.1-factorized-skip0.2-norm-factored-e0.5-s0.graft'],
      [1, 2, 'tensor-p0.1-factorized-skip0.2-norm-factored-e0.5-s1.graft'],
      [2, 2, 'tensor-p0.1-factorized-skip0.2-norm-factored-e0.5-s2.graft'],
    ]);
    const methods = buildReport(result).methods;
    // adam 4.1, factored 4.3, plain step norm 4.6667, sgd 6.2.
    expect(methods.map((m) => [m.method, m.setting])).toEqual([
      ['adam', 2e-3],
      ['static tensor-p0.1-factorized-skip0.2-norm-factored-e0.5', 2],
      ['static tensor-p0.1-factorized-skip0.2-norm', 4],
      ['sgd', 1],
    ]);
    expect(methods[1].heldoutLoss.mean).toBeCloseTo(4.3, 12);
    // The plot's legend names the variants by what differs between them.
    const svg = lossCurvesSvg(result, buildReport(result));
    for (const label of ['static factored e0.5 held-out', 'static held-out', 'adam train', 'mean of 3 seeds']) expect(svg).toContain(label);
  });

  it('--preconditioner-eps sweeps the factored eps ratio: one variant per ratio, named by it unless 0.01, each artifact built with it', async () => {
    const jobs: ChildJob[] = [];
    const table = { ...HELDOUT, 'static 2 factored': [4.2, 4.3, 4.4], 'static 4 factored': [4.6] };
    const result = await runCompare(
      {
        ...options('precond-eps'),
        seeds: [0],
        preconditioners: ['factored'],
        preconditionerEps: [0.01, 0.1],
        includeGraft: false,
        includeHybrid: false,
      },
      { runJob: fakeRunner(jobs, table) },
    );
    const schedules = [...new Set(jobs.flatMap((j) => (j.kind === 'train' && j.options.schedule ? [String(j.options.schedule)] : [])))];
    expect(schedules.map((f) => path.basename(f))).toEqual([
      'tensor-p0.1-factorized-skip0.2-norm-factored-s0.graft',
      'tensor-p0.1-factorized-skip0.2-norm-factored-e0.1-s0.graft',
    ]);
    expect(schedules.map((f) => loadArtifact(f).preconditioner?.epsRatio)).toEqual([0.01, 0.1]);
    expect(result.selected.filter((s) => s.family === 'static').map((s) => s.variant)).toEqual([
      'tensor-p0.1-factorized-skip0.2-norm-factored',
      'tensor-p0.1-factorized-skip0.2-norm-factored-e0.1',
    ]);
  });

  it('--schedule-files: a schedule made elsewhere is a static variant, swept on the first seed, the same file on every seed', async () => {
    const trace = loadTrace(tracePath);
    const shipped = path.join(tmp, 'shipped.graft');
    saveArtifact(shipped, buildArtifact({ trace, compressed: compressTrace(trace, { preconditioner: 'none', capRatio: 0 }) }));
    const jobs: ChildJob[] = [];
    const table = { ...HELDOUT, 'static 2 file': [5.2], 'static 4 file': [4.9, 5.1, 5.0] };
    const result = await runCompare(
      { ...options('files'), configOverrides: probedModel, scheduleFiles: [shipped], includeGraft: false, includeHybrid: false },
      { runJob: fakeRunner(jobs, table) },
    );
    const fileRuns = jobs.filter((j) => j.kind === 'train' && j.options.schedule === shipped);
    // x4 wins on seed 0 (4.5 < 5.0); seeds 1 and 2 then run x4 with the same file.
    expect(fileRuns.map((j) => j.kind === 'train' && [j.options.seed, j.options.scheduleScale])).toEqual([
      [0, 2],
      [0, 4],
      [1, 4],
      [2, 4],
    ]);
    const report = buildReport(result);
    const method = report.methods.find((m) => m.variant === 'file-shipped')!;
    expect(method.method).toBe('static file-shipped');
    expect(method.heldoutLoss.mean).toBeCloseTo((4.9 + 5.1 + 5.0) / 3, 12);
    // Kept of the probed schedule's closure, per seed (Adam 4.0/4.2/4.1, SGD 6.0/6.4/6.2, probed x4 4.5/4.7/4.8):
    // s0 (6.0 - 4.9) / (6.0 - 4.5) = 0.7333, s1 1.3 / 1.7 = 0.7647, s2 1.2 / 1.4 = 0.8571; OOD s0 (7.0 - 6.1) / (7.0 - 5.7) = 0.6923
    const [kept] = report.scheduleFiles;
    expect(kept.variant).toBe('file-shipped');
    expect(kept.against).toBe('tensor-p0.1-factorized-skip0.2-norm');
    [1.1 / 1.5, 1.3 / 1.7, 1.2 / 1.4].forEach((x, i) => expect(kept.kept.heldout.values[i]).toBeCloseTo(x, 12));
    expect(kept.kept.ood.values[0]).toBeCloseTo(0.9 / 1.3, 12);
    const md = reportMarkdown(result, report, 'graftlr compare --schedule-files shipped.graft');
    expect(md).toContain('## Schedules made elsewhere');
    expect(md).toMatch(/\| file-shipped \| 0\.785 ± 0\.064 \|/);
    expect(method.probeStateBytes).toBeNull(); // no probe made it here
    expect(result.runs.filter((r) => r.variant === 'file-shipped').every((r) => r.probe === undefined)).toBe(true);
  });

  it("--schedule-files: a factored file's runs start from the weights its probe started from; probed schedules from their own seed", async () => {
    const trace = loadTrace(tracePath);
    const shipped = path.join(tmp, 'shipped-precond.graft');
    saveArtifact(
      shipped,
      buildArtifact({ trace, compressed: compressTrace(trace, { preconditioner: 'factored', target: 'stepNorm', capRatio: 0 }) }),
    );
    const probeSeed = loadArtifact(shipped).probe.seed;
    const seeds = [0, 1, 2].includes(probeSeed) ? [0, 1, 2] : [0, 1, probeSeed];
    const jobs: ChildJob[] = [];
    // the third seed answers with seed 2's numbers
    const table = Object.fromEntries(
      Object.entries({ ...HELDOUT, 'static 2 file': [5.2], 'static 4 file': [4.9, 5.1, 5.0] }).map(([k, v]) => {
        const padded = [...v];
        if (v.length === 3) padded[seeds[2]] = v[2];
        return [k, padded];
      }),
    );
    const result = await runCompare(
      {
        ...options('files-init'),
        seeds,
        configOverrides: probedModel,
        scheduleFiles: [shipped],
        fileStarts: ['probe', 'seed'],
        includeGraft: false,
        includeHybrid: false,
      },
      { runJob: fakeRunner(jobs, table) },
    );
    expect([...new Set(result.runs.filter((r) => r.variant?.startsWith('file-')).map((r) => r.variant))]).toEqual([
      'file-shipped-precond',
      'file-shipped-precond-own-init',
    ]);
    const train = jobs.filter((j): j is Extract<ChildJob, { kind: 'train' }> => j.kind === 'train');
    const fileRuns = train.filter((j) => j.options.schedule === shipped);
    // both starts, on every seed (x2 and x4 on the tuning seed)
    expect(fileRuns.length).toBe(2 * (2 + 2));
    expect(fileRuns.some((j) => j.options.seed !== probeSeed)).toBe(true);
    for (const j of fileRuns) {
      // named only where it differs from the run's seed, so runs cached before keep their keys; file-*-own-init
      // (--file-starts seed) starts from the run's own seed's weights, the default from the probe's
      const ownInit = j.options.outDir!.includes('own-init');
      if (j.options.seed === probeSeed) expect(j.options).not.toHaveProperty('initSeed');
      else expect(j.options.initSeed).toBe(ownInit ? j.options.seed : probeSeed);
    }
    expect(train.filter((j) => j.options.schedule !== shipped).every((j) => !('initSeed' in j.options))).toBe(true);
  });

  it('--schedule-files refuses, before anything runs, a file that is not an artifact or was made for another model', async () => {
    const jobs: ChildJob[] = [];
    const notArtifact = path.join(tmp, 'notes.graft');
    fs.writeFileSync(notArtifact, 'not a schedule');
    await expect(runCompare({ ...options('bad-file'), scheduleFiles: [notArtifact] }, { runJob: fakeRunner(jobs) })).rejects.toThrow(
      /notes\.graft/,
    );
    const trace = loadTrace(tracePath);
    const shipped = path.join(tmp, 'other-model.graft');
    saveArtifact(shipped, buildArtifact({ trace, compressed: compressTrace(trace, { preconditioner: 'none', capRatio: 0 }) }));
    await expect(
      runCompare(
        { ...options('other-model'), configOverrides: { ...probedModel, intermediateSize: 48 }, scheduleFiles: [shipped] },
        { runJob: fakeRunner(jobs) },
      ),
    ).rejects.toThrow(/compare: schedule file .*other-model\.graft: .*re-run extract/);
    await expect(runCompare({ ...options('twice'), scheduleFiles: [shipped, `./${path.relative('.', shipped)}`] })).rejects.toThrow(
      /variant file-other-model twice/,
    );
    expect(jobs).toEqual([]);
  });

  it('a run whose held-out loss explodes above 2 ln V counts as failed: that seed has no SGD baseline, not a meaningless one', async () => {
    const jobs: ChildJob[] = [];
    const table = { ...HELDOUT, 'sgd 1': [6.0, 1e10, 6.2] };
    const result = await runCompare(
      { ...options('exploded'), includeGraft: false, includeHybrid: false },
      { runJob: fakeRunner(jobs, table) },
    );
    const exploded = result.runs.find((r) => r.name === 'sgd-lr1-s1')!;
    expect(exploded.error).toBe('diverged: held-out loss 1.00e+10 is above 2 ln V = 8.3 (V = 64, a uniform guess scores ln V)');
    const report = buildReport(result);
    expect(report.methods.find((m) => m.method === 'sgd')!.failed).toBe(1);
    const closure = report.methods.find((m) => m.family === 'static')!.gapClosure.heldout.values;
    expect(closure[1]).toBeNull(); // seed 1 has no finite SGD run
    expect(closure[0]).toBeCloseTo((6.0 - 4.5) / (6.0 - 4.0), 12);
  });

  it("a run killed by a signal stops the comparison (finished runs kept, the next run's folder untouched), unlike a diverged setting", async () => {
    const jobs: ChildJob[] = [];
    const answer = fakeRunner(jobs);
    const nextFolder = path.join(tmp, 'stopped', 'adam-lr0.004-s0'); // a finished run of an earlier comparison
    fs.mkdirSync(nextFolder, { recursive: true });
    fs.writeFileSync(path.join(nextFolder, 'metrics.jsonl'), '{}\n');
    const stopSecond: JobRunner = async (job) => {
      if (jobs.length === 1) {
        jobs.push(job);
        throw new ChildStoppedError('SIGTERM');
      }
      return answer(job);
    };
    // The first Adam run finishes, the second is killed: the comparison ends there with a one-line message.
    await expect(runCompare({ ...options('stopped'), adamLrs: [1e-3, 2e-3, 4e-3] }, { runJob: stopSecond })).rejects.toThrow(
      /^compare: run adam-lr0.002-s0 was stopped \(SIGTERM\); finished runs are kept in .*: run the same command with --reuse to continue$/,
    );
    expect(jobs).toHaveLength(2);
    expect(fs.existsSync(path.join(tmp, 'stopped', 'adam-lr0.001-s0', 'compare-run.json'))).toBe(true);
    expect(fs.readFileSync(path.join(nextFolder, 'metrics.jsonl'), 'utf8')).toBe('{}\n'); // not emptied for a rerun
  });

  it('--reuse reads finished and failed runs back without rerunning them; a changed setting reruns', async () => {
    const first: ChildJob[] = [];
    const o = { ...options('reuse'), seeds: [0], includeGraft: false, includeHybrid: false };
    const before = await runCompare(o, { runJob: fakeRunner(first) });
    const diverged = (r: typeof before) => r.runs.find((run) => run.name === 'sgd-lr2-s0');
    expect(diverged(before)?.error).toBe('step 3: non-finite gradient');
    expect(first.some((j) => j.kind === 'train' && j.options.optimizer === 'sgd' && j.options.lr === 2)).toBe(true);

    const again: ChildJob[] = [];
    const after = await runCompare({ ...o, reuse: true }, { runJob: fakeRunner(again) });
    expect(again).toEqual([]); // nothing ran: the diverged setting was read back too
    expect(diverged(after)?.error).toBe('step 3: non-finite gradient');
    expect(after.runs.map((r) => [r.name, r.summary.heldout?.loss ?? null])).toEqual(
      before.runs.map((r) => [r.name, r.summary.heldout?.loss ?? null]),
    );

    const changed: ChildJob[] = [];
    await runCompare({ ...o, reuse: true, sgdLrs: [0.5, 1, 2, 4] }, { runJob: fakeRunner(changed, { ...HELDOUT, 'sgd 4': [9] }) });
    expect(changed.map((j) => j.kind === 'train' && [j.options.optimizer, j.options.lr])).toEqual([['sgd', 4]]);
  });

  it('with --no-tune-seed-only every seed sweeps and the setting with the best mean wins', async () => {
    const jobs: ChildJob[] = [];
    // Seed 0 alone prefers static x2 (4.4 < 4.5), the mean over seeds x4 ((4.5+4.7+4.8)/3 = 4.667 < (4.4+5.0+5.0)/3 = 4.8).
    const table = { ...HELDOUT, 'adam 0.001': [5.0, 5.0, 5.0], 'sgd 0.5': [6.5, 6.5, 6.5], 'static 2': [4.4, 5.0, 5.0] };
    const result = await runCompare(
      { ...options('tune-all'), tuneSeedOnly: false, includeGraft: false, includeHybrid: false, sgdLrs: [0.5, 1] },
      { runJob: fakeRunner(jobs, table) },
    );
    expect(result.tuneSeeds).toEqual([0, 1, 2]);
    const statics = jobs
      .filter((j) => j.kind === 'train' && j.options.optimizer === 'static')
      .map((j) => j.kind === 'train' && [j.options.seed, j.options.scheduleScale]);
    expect(statics).toEqual([
      [0, 2],
      [0, 4],
      [1, 2],
      [1, 4],
      [2, 2],
      [2, 4],
    ]);
    expect(result.selected.find((s) => s.family === 'static')?.setting).toBe(4);
    expect(buildReport(result).methods.map((m) => m.method)).toEqual(['adam', 'static tensor-p0.1-factorized-skip0.2-norm', 'sgd']);
  });
});
