/**
 * A tiny real setup for run-level tests: a generated 3000-word corpus, vocabulary 64, sequences of
 * 16 tokens, a 1-layer BERT with H = 16 on the cpu backend.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../../src/runtime/backend.js';
import { prepareData, type PreparedData } from '../../../src/data/prepare.js';
import type { RunOptions } from '../../../src/run/train/options.js';
import { extractSchedule } from '../../../src/run/probe/extract.js';
import { decodeArtifact, encodeArtifact, type Artifact } from '../../../src/schedule/artifact.js';

const WORDS = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but ' +
  'have an they you were her she there had'
).split(' ');

/** Writes the corpus into a new temporary folder; returns the file. */
export function writeTinyCorpus(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-corpus-'))): string {
  let x = 1;
  let text = '';
  for (let i = 0; i < 3000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    text += WORDS[x % WORDS.length] + (i % 12 === 11 ? '.\n' : ' ');
  }
  const file = path.join(dir, 'small.txt');
  fs.writeFileSync(file, text);
  return file;
}

export async function tinySetup(): Promise<{ data: PreparedData; base: Partial<RunOptions> }> {
  await initBackend({ prefer: 'cpu' });
  const data = prepareData({ corpus: [writeTinyCorpus()], vocabSize: 64, seqLen: 16 });
  const base: Partial<RunOptions> = {
    data,
    vocabSize: 64,
    seqLen: 16,
    batchSize: 4,
    seed: 3,
    evalSequences: 8,
    backend: 'cpu',
    engine: 'tfjs',
    configOverrides: { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 16 },
  };
  return { data, base };
}

/** A factored schedule extracted on `base` (a 4-step probe on the ort engine), read back through the file format. */
export async function tinyExtractedArtifact(base: Partial<RunOptions>): Promise<Artifact> {
  const { artifact } = await extractSchedule({
    ...base,
    engine: 'ort',
    totalSteps: 60,
    probeSteps: 4,
    lr: 0.003,
    warmup: 0.05,
    stabilityBatches: 0,
    compress: { capBy: 'size' },
  });
  return decodeArtifact(encodeArtifact(artifact));
}
