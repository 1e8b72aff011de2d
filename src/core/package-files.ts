/**
 * Files of this package that code opens or starts at run time, found from the running module. The same
 * code runs three ways: from the TypeScript sources (tests, tsx), from the built dist/ (whose bundled
 * chunks sit at any depth under dist/), and from an installed copy in someone's node_modules. So paths
 * are taken from the package root (the nearest folder above with graftlr's package.json), never from
 * the running file's own folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'graftlr';

/** A module that can run from the sources or from dist/: its two paths from the package root. */
export interface EntryFile {
  source: string;
  built: string;
}

/** The process a compare run (and the memory benchmark's jobs) runs in: see compare/run-child.ts. */
export const COMPARE_WORKER: EntryFile = { source: 'src/experiments/compare/worker.ts', built: 'dist/compare/worker.js' };

/** The PyTorch job of `graftlr bench --memory` (shipped with the package, beside torch_common.py). */
export const TORCH_BENCH_SCRIPT = 'scripts/bench-torch.py';

/** True when this module was loaded from its TypeScript source (through tsx or vitest), not from dist/. */
export const runningFromSource = import.meta.url.endsWith('.ts');

let root: string | undefined;

/** The package's root folder: the nearest folder above this module whose package.json is graftlr's. */
export function packageRoot(): string {
  root ??= findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  return root;
}

/** Absolute path of `relative` (from the package root). */
export function packageFile(relative: string): string {
  return path.join(packageRoot(), relative);
}

/** The file to run for `entry` and the Node flags it needs: the source through tsx, or the built JavaScript. */
export function entryCommand(entry: EntryFile): { file: string; execArgv: string[] } {
  return runningFromSource
    ? { file: packageFile(entry.source), execArgv: ['--import', 'tsx'] }
    : { file: packageFile(entry.built), execArgv: [] };
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && readName(manifest) === PACKAGE_NAME) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find ${PACKAGE_NAME}'s package.json in any folder above ${start}`);
  }
}

function readName(manifest: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}
