/**
 * The layer rule: src/ is a stack of folders, each allowed to import only from itself and the folders below it.
 * Order, lowest first (a file's layer is the longest entry its path starts with; src/index.ts, the public API,
 * sits on top):
 *
 *   core < runtime < formats < data < optim < model < engine < schedule < plot
 *        < run/train < run/eval < run/probe < experiments/compare < experiments/bench < cli < index.ts
 *
 * Only runtime/ may import a tfjs backend or onnxruntime-node (tfjs-core, the tensor library, is used by the
 * layers that do tensor math).
 *
 * Type-only imports count: they are dependencies too.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';

export const LAYERS = [
  'core',
  'runtime',
  'formats',
  'data',
  'optim',
  'model',
  'engine',
  'schedule',
  'plot',
  'run/train',
  'run/eval',
  'run/probe',
  'experiments/compare',
  'experiments/bench',
  'cli',
  'index.ts',
] as const;

/** Packages only runtime/ may import (a specifier equal to one of these or below it). */
const RUNTIME_ONLY = [
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'onnxruntime-node',
];

const ROOT = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [rel] : [];
  });
}

/** Every module specifier of a file: static imports and re-exports, side-effect imports, import(). */
export function specifiers(code: string): string[] {
  const noComments = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found = [
    ...noComments.matchAll(/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...noComments.matchAll(/\bimport\s*['"]([^'"]+)['"]/g),
    ...noComments.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]/g),
  ];
  return found.map((m) => m[1]);
}

/** Position of a src-relative path in LAYERS: the longest entry it equals or lies under; -1 when none. */
export function layerOf(srcPath: string): number {
  let best = -1;
  LAYERS.forEach((layer, i) => {
    const under = srcPath === layer || srcPath.startsWith(`${layer}/`);
    if (under && (best < 0 || layer.length > LAYERS[best].length)) best = i;
  });
  return best;
}

interface Edge {
  from: string;
  to: string;
  line: string;
}

function importEdges(): { files: string[]; edges: Edge[]; external: Edge[]; unresolved: Edge[] } {
  const files = sourceFiles('src');
  const edges: Edge[] = [],
    external: Edge[] = [],
    unresolved: Edge[] = [];
  for (const file of files) {
    const code = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const spec of specifiers(code)) {
      const line = `${file}: '${spec}'`;
      const from = file;
      if (!spec.startsWith('.')) {
        external.push({ from, to: spec, line });
        continue;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const asTs = target.replace(/\.js$/, '.ts');
      const real = [target, asTs].find((p) => fs.existsSync(path.join(ROOT, p)));
      if (!real) {
        unresolved.push({ from, to: target, line });
        continue;
      }
      edges.push({ from, to: real, line });
    }
  }
  return { files, edges, external, unresolved };
}

const srcRelative = (repoPath: string) => repoPath.replace(/^src\//, '');

describe('layer rule', () => {
  const { files, edges, external, unresolved } = importEdges();

  it('finds the imports it checks', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(unresolved.map((e) => e.line)).toEqual([]);
  });

  it('places every source file in a declared layer', () => {
    const outside = files.filter((f) => layerOf(srcRelative(f)) < 0);
    expect(outside, 'files outside every layer: add them to LAYERS or move them into a layer').toEqual([]);
  });

  it('no import reaches back up a layer', () => {
    const upward = edges
      .map((e) => ({ ...e, fromLayer: layerOf(srcRelative(e.from)), toLayer: layerOf(srcRelative(e.to)) }))
      .filter((e) => e.toLayer > e.fromLayer)
      .map((e) => `${e.from} (${LAYERS[e.fromLayer]}) imports ${e.to} (${LAYERS[e.toLayer]})   [${e.line}]`);
    expect(upward, `imports that reach up (order: ${LAYERS.join(' < ')})`).toEqual([]);
  });

  it('only runtime/ imports tfjs backends and onnxruntime', () => {
    const runtime = LAYERS.indexOf('runtime');
    const offenders = external
      .filter((e) => RUNTIME_ONLY.some((p) => e.to === p || e.to.startsWith(`${p}/`)))
      .filter((e) => layerOf(srcRelative(e.from)) !== runtime)
      .map((e) => e.line);
    expect(offenders).toEqual([]);
  });
});

describe('layerOf', () => {
  it('takes the longest declared prefix and the top for index.ts', () => {
    expect(LAYERS[layerOf('run/probe/probe.ts')]).toBe('run/probe');
    expect(LAYERS[layerOf('core/params.ts')]).toBe('core');
    expect(LAYERS[layerOf('index.ts')]).toBe('index.ts');
    expect(layerOf('corex/a.ts')).toBe(-1);
    expect(layerOf('params.ts')).toBe(-1);
  });
  it('reads every kind of specifier and skips comments', () => {
    // Quotes are written as % so that tools scanning this file for import paths do not take these for real ones.
    const code = [
      'import a from %./a.js%;',
      'import type { B } from %../b.js%;',
      'export { c } from %./c.js%;',
      'import %./side.js%;',
      'const d = await import(%./d.js%);',
      '// import x from %./commented.js%;',
      '/* import y from %./block.js%; */',
      'export * from %./star.js%;',
      'import {\n  e,\n  f,\n} from %./multi.js%;',
    ]
      .join('\n')
      .replaceAll('%', "'");
    expect(specifiers(code)).toEqual(['./a.js', '../b.js', './c.js', './star.js', './multi.js', './side.js', './d.js']);
  });
});
