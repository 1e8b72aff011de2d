/**
 * The package as a user gets it: build and `npm pack` a copy of this checkout, install the tarball into an
 * empty folder with npm, and use it there with plain Node (no tsx, no sources): the CLI's --help and
 * inspect on a shipped schedule, the library through `import('graftlr')` and its types through tsc, and a
 * two-step comparison whose runs start the compiled compare worker.
 *
 * The build and pack run in a copy, so the checkout's own dist/ (which bin/graftlr.mjs and other tests may
 * be using) is never cleaned or half-written. The install uses the npm cache first (--prefer-offline) and
 * runs no install scripts: onnxruntime-node's only fetches GPU providers, tfjs-node-gpu's would download
 * libtensorflow (an optional dependency whose absence graftlr reports and works without).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printableDeep } from '../../src/core/printable.js';
import { loadArtifact } from '../../src/schedule/files.js';
import { artifactSummaryJson, formatArtifactTable } from '../../src/schedule/inspect.js';
import { fastRunFlags, smallCorpus } from '../cli/helpers.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const MINUTES = 60_000;
/** Top-level entries of the checkout that a build and `npm pack` never read. */
const NOT_STAGED = new Set(['node_modules', '.git', 'dist', 'runs', '.cache', 'coverage', 'logs']);

/** The environment for child npm and node: without the npm_* settings of an enclosing `npm test`. */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = { ONNXRUNTIME_NODE_INSTALL: 'skip', GRAFTLR_BACKEND: 'cpu' };
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())) env[k] = v;
  return env;
}

/** Runs `command args` in `cwd`; returns stdout, or throws with the command's stderr. */
function run(cwd: string, command: string, args: string[], timeoutMs = 5 * MINUTES): string {
  const r = spawnSync(command, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) ended with ${r.status ?? r.signal}:\n${r.stderr.slice(-4000)}${r.error ?? ''}`,
    );
  }
  return r.stdout;
}

let tmp: string;
let app: string;
let shipped: string[];
/** The installed package's folder inside the test app. */
let installed: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-pack-'));
  const stage = path.join(tmp, 'stage');
  fs.cpSync(ROOT, stage, { recursive: true, filter: (src) => !NOT_STAGED.has(path.relative(ROOT, src).split(path.sep)[0]) });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  // Files a working checkout gathers that must not ship: a run's output and a stray schedule in it.
  fs.mkdirSync(path.join(stage, 'runs'));
  fs.writeFileSync(path.join(stage, 'runs', 'left-over.graft'), 'not shipped');
  run(stage, 'npm', ['run', 'build']);
  const packed = JSON.parse(run(stage, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp])) as {
    filename: string;
    files: { path: string }[];
  }[];
  shipped = packed[0].files.map((f) => f.path).sort();

  app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'graftlr-pack-test', private: true, type: 'module' }));
  run(
    app,
    'npm',
    ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(tmp, packed[0].filename)],
    10 * MINUTES,
  );
  installed = path.join(app, 'node_modules', 'graftlr');
}, 20 * MINUTES);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the built package, the schedules and their format, and nothing else', () => {
    for (const file of [
      'package.json',
      'README.md',
      'bin/graftlr.mjs',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/compare/worker.js',
      'artifacts/tiny.graft',
      'artifacts/mini.graft',
      'artifacts/FORMAT.md',
      'scripts/bench-torch.py',
      'scripts/torch_common.py',
    ]) {
      expect(shipped).toContain(file);
    }
    const allowed =
      /^(package\.json|README\.md|LICENSE|bin\/graftlr\.mjs|dist\/.+\.(js|d\.ts)|artifacts\/[^/]+\.graft|artifacts\/FORMAT\.md|scripts\/(bench-torch|torch_common)\.py)$/;
    expect(shipped.filter((f) => !allowed.test(f))).toEqual([]);
    // Not the sources, tests, run outputs, dev scripts, comparison reports or artifacts/README.md.
    expect(shipped.filter((f) => /^(src|test|runs|python)\/|^artifacts\/(compare-|README)|^bin\/run-script/.test(f))).toEqual([]);
  });
});

describe('the installed package, with plain Node', () => {
  it('has no tsx to fall back on', () => {
    expect(fs.existsSync(path.join(app, 'node_modules', 'tsx'))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'src'))).toBe(false);
  });

  it('npx graftlr --help lists the commands', () => {
    const out = run(app, 'npx', ['--no', '--', 'graftlr', '--help']);
    expect(out).toMatch(/^usage: graftlr <command> \[options\]/);
    for (const command of ['quickstart', 'extract', 'train', 'compare', 'inspect', 'export-schedule'])
      expect(out).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('graftlr inspect prints a shipped schedule exactly as the sources do', () => {
    const shippedTiny = path.join(installed, 'artifacts', 'tiny.graft');
    const out = run(app, 'npx', ['--no', '--', 'graftlr', 'inspect', shippedTiny]);
    const table = formatArtifactTable(printableDeep(loadArtifact(path.join(ROOT, 'artifacts', 'tiny.graft'))));
    expect(out).toBe(table.endsWith('\n') ? table : table + '\n');
  });

  it("import('graftlr') loads the library: a shipped schedule's summary equals the sources'", () => {
    const script = "import('graftlr').then((m) => console.log(JSON.stringify(m.artifactSummaryJson(m.loadArtifact(process.argv[1])))))";
    const out = run(app, process.execPath, ['-e', script, path.join(installed, 'artifacts', 'mini.graft')]);
    expect(JSON.parse(out)).toEqual(
      JSON.parse(JSON.stringify(artifactSummaryJson(loadArtifact(path.join(ROOT, 'artifacts', 'mini.graft'))))),
    );
  });

  it('its types resolve through the exports map (tsc on a consumer file)', () => {
    fs.writeFileSync(
      path.join(app, 'consumer.ts'),
      [
        "import { decodeArtifact, PRESETS, type Artifact } from 'graftlr';",
        'export const decode: (bytes: Uint8Array) => Artifact = decodeArtifact;',
        'export const hidden: number = PRESETS.tiny.hiddenSize;',
        '// @ts-expect-error the package has no such export (an untyped package would let this through)',
        "export { notAnExport } from 'graftlr';",
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['consumer.ts'],
      }),
    );
    run(app, process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  });

  it(
    'graftlr compare runs each method in the compiled worker process',
    () => {
      const { dir, corpus } = smallCorpus();
      const out = path.join(dir, 'cmp');
      run(
        app,
        'npx',
        [
          '--no',
          '--',
          'graftlr',
          'compare',
          ...fastRunFlags(corpus, dir),
          '--steps',
          '2',
          '--eval-points',
          '1',
          '--adam-lrs',
          '1e-3',
          '--sgd-lrs',
          '1',
          '--static-scales',
          '1',
          '--no-graft',
          '--no-include-hybrid',
          '--out',
          out,
          '--json',
        ],
        10 * MINUTES,
      );
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as {
        ranked: { name: string; heldoutLoss: number }[];
      };
      // 1 adam + 1 sgd + 1 static run, each trained in its own worker and reporting a finite loss.
      expect(report.ranked.map((r) => r.name.split('-')[0]).sort()).toEqual(['adam', 'sgd', 'static']);
      for (const r of report.ranked) expect(Number.isFinite(r.heldoutLoss), r.name).toBe(true);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    10 * MINUTES,
  );
});
