/**
 * The build behind dist/ (`npm run build`; `prepare` runs it on npm install, npm ci and npm pack).
 * Three entries, bundled as ES modules for Node 20 with shared chunks: the library (with its .d.ts),
 * the CLI (bin/graftlr.mjs imports it) and the compare worker (run-child.ts starts it in its own
 * process). Every package in package.json's dependencies stays an import (tsup's default), so the
 * native runtimes (onnxruntime-node, tfjs backends) load from node_modules as they do from the sources.
 * If a source file moves, repoint its entry here and in src/core/package-files.ts.
 */
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'cli/main': 'src/cli/main.ts',
    'compare/worker': 'src/experiments/compare/worker.ts',
  },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  splitting: true,
  clean: true,
  dts: { entry: { index: 'src/index.ts' } },
});
