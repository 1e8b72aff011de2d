/**
 * The PyTorch bridge (python/graftlr_torch) is tested by its Python suite, python/tests (stdlib unittest):
 * parity with `graftlr train`, data-parallel training, the probe trace through `graftlr compress`, bad files.
 * This file runs that suite so `npm test` (and CI) covers it. It needs /usr/bin/python3 with torch and msgpack
 * (Debian: apt-get install python3-torch python3-msgpack; .ci/run installs them); without torch it is skipped,
 * and says so.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function importsTorch(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import torch, msgpack'], { stdio: 'ignore' });
  return r.status === 0;
}

const hasTorch = importsTorch();
if (!hasTorch) console.log(`test/python/torch-bridge.test.ts skipped: ${PYTHON} cannot import torch and msgpack (apt-get install python3-torch python3-msgpack)`);

describe('python/graftlr_torch', () => {
  it.skipIf(!hasTorch)('passes its Python test suite (python -m unittest discover -s python/tests)', () => {
    const r = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-s', 'python/tests', '-v'], {
      cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, OMP_NUM_THREADS: '2' },
    });
    if (r.status !== 0) throw new Error(`python tests failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    expect(r.stderr).toMatch(/\nOK\n?$/); // unittest's summary line
  }, 600_000);
});
