/**
 * Runs the CLI in-process with captured stdout/stderr, and builds a small text corpus for fast runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadMobyDick } from '../../src/data/corpus.js';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function cli(...argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => {
      out += t.endsWith('\n') ? t : t + '\n';
    },
    err: (t) => {
      err += t.endsWith('\n') ? t : t + '\n';
    },
    env: { GRAFTLR_BACKEND: 'cpu' },
  });
  return { code, out, err };
}

/** A temp folder holding a ~40 kB corpus (the first Moby-Dick sections). */
export function smallCorpus(): { dir: string; corpus: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-cli-'));
  const text = loadMobyDick()
    .map((d) => d.text)
    .join('\n\n')
    .slice(0, 40_000);
  const corpus = path.join(dir, 'corpus.txt');
  fs.writeFileSync(corpus, text);
  return { dir, corpus };
}

/** Flags for a run that finishes in seconds: tiny preset, small vocabulary, short sequences. */
export function fastRunFlags(corpus: string, dir: string): string[] {
  return [
    '--corpus',
    corpus,
    '--vocab-size',
    '300',
    '--seq-len',
    '32',
    '--batch-size',
    '4',
    '--eval-sequences',
    '8',
    '--cache-dir',
    path.join(dir, 'cache'),
  ];
}
