import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadArtifact, loadTrace, saveArtifact, saveTrace } from '../../src/schedule/files.js';
import { fixtureArtifact } from '../fixtures/fixture-artifact.js';
import { syntheticTrace } from './synthetic.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-files-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('artifact and trace files', () => {
  it('save and load round-trip, creating folders', () => {
    const file = path.join(dir, 'runs', 'tiny.graft');
    const bytes = saveArtifact(file, fixtureArtifact());
    expect(fs.readFileSync(file).equals(Buffer.from(bytes))).toBe(true);
    expect(loadArtifact(file).groups).toEqual(fixtureArtifact().groups);
    const tfile = path.join(dir, 'probe.trace');
    const trace = syntheticTrace((g, t) => 1 + t);
    saveTrace(tfile, trace);
    expect(Buffer.from(loadTrace(tfile).c.buffer).equals(Buffer.from(trace.c.buffer))).toBe(true);
  });

  it('name the file in errors', () => {
    const missing = path.join(dir, 'nope.graft');
    expect(() => loadArtifact(missing)).toThrow(`schedule artifact not found: ${missing}: check the path`);
    const tfile = path.join(dir, 'probe.trace');
    saveTrace(
      tfile,
      syntheticTrace(() => 1),
    );
    expect(() => loadArtifact(tfile)).toThrow(
      `${tfile}: not a schedule artifact: expected format "graftlr.schedule" but its format is "graftlr.trace"`,
    );
  });
});
