/**
 * scripts/relayout/apply.mjs on a small repository: files move, every kind of relative path is rewritten for the
 * new places, prose mentions follow, README.md's Layout section is replaced, a second run changes nothing, and a
 * file missing from the map stops the run before anything moves.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const APPLY = path.resolve(import.meta.dirname, '..', 'scripts', 'relayout', 'apply.mjs');

const made: string[] = [];
afterAll(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });

/** A fresh git repository holding `files`, committed, with apply.mjs and `map` in scripts/relayout/. */
function repository(files: Record<string, string>, map: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relayout-'));
  made.push(dir);
  const all = { ...files, 'scripts/relayout/map.json': JSON.stringify(map), 'scripts/relayout/apply.mjs': fs.readFileSync(APPLY, 'utf8') };
  for (const [name, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'start');
  return dir;
}

const apply = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, ['scripts/relayout/apply.mjs', ...args], { cwd: dir, encoding: 'utf8' });
const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

// Quotes are written as % so that apply.mjs, run on this repository, does not take these paths for its own.
const q = (text: string) => text.replaceAll('%', "'");
const FILES = {
  'src/b/y.ts': 'export const y = 1;\n',
  'src/a/x.ts': q([
    "import { y } from %../b/y.js%;",
    "export const later = async () => (await import(%../b/y.js%)).y;",
    '// y lives in src/b/y.ts (folder src/b)',
    "export const data = new URL(%../../data/d.txt%, import.meta.url);",
    'export const x = y;', '',
  ].join('\n')),
  'data/d.txt': 'd\n',
  'test/b/y.test.ts': q([
    "import { y } from %../../src/b/y.js%;",
    "vi.mock(%../../src/a/x.js%);",
    "const root = path.resolve(import.meta.dirname, %..%, %..%);", '',
  ].join('\n')),
  'README.md': 'See src/b/y.ts and test/b/y.test.ts.\n\n## Layout\nold tree\n\n## Tests\nt\n',
  'scripts/relayout/README-layout.md': '## Layout\n\nnew tree\n',
};
const MAP = {
  'src/a/x.ts': 'src/a/x.ts',
  'src/b/y.ts': 'src/c/deep/y.ts',
  'test/b/y.test.ts': 'test/c/deep/y.test.ts',
};

describe('relayout apply', () => {
  it('moves the files and rewrites every relative path and mention for their new places', () => {
    const dir = repository(FILES, MAP);
    const run = apply(dir);
    expect(run.status, run.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'src/b'))).toBe(false);
    expect(read(dir, 'src/c/deep/y.ts')).toBe(FILES['src/b/y.ts']);
    expect(read(dir, 'src/a/x.ts')).toBe(q([
      "import { y } from %../c/deep/y.js%;",
      "export const later = async () => (await import(%../c/deep/y.js%)).y;",
      '// y lives in src/c/deep/y.ts (folder src/c/deep)',
      "export const data = new URL(%../../data/d.txt%, import.meta.url);",
      'export const x = y;', '',
    ].join('\n')));
    expect(read(dir, 'test/c/deep/y.test.ts')).toBe(q([
      "import { y } from %../../../src/c/deep/y.js%;",
      "vi.mock(%../../../src/a/x.js%);",
      "const root = path.resolve(import.meta.dirname, %..%, %..%, %..%);", '',
    ].join('\n')));
    expect(read(dir, 'README.md')).toBe('See src/c/deep/y.ts and test/c/deep/y.test.ts.\n\n## Layout\n\nnew tree\n\n## Tests\nt\n');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' })).toContain('R  src/b/y.ts -> src/c/deep/y.ts');

    const again = apply(dir, '--allow-dirty');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('moved 0 file(s), edited 0 ');
  });

  it('stops before moving anything when a file is missing from the map, naming the line to add', () => {
    const dir = repository({ ...FILES, 'src/a/new.ts': 'export {};\n' }, MAP);
    const run = apply(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('"src/a/new.ts": "src/a/new.ts",');
    expect(fs.existsSync(path.join(dir, 'src/b/y.ts'))).toBe(true);
  });

  it('refuses a dirty tree and a map that sends two files to one path', () => {
    const dirty = repository(FILES, MAP);
    fs.writeFileSync(path.join(dirty, 'README.md'), 'changed\n');
    expect(apply(dirty).stderr).toContain('the working tree has changes');
    const clash = repository(FILES, { ...MAP, 'src/a/x.ts': 'src/c/deep/y.ts' });
    expect(apply(clash).stderr).toContain('map sends both src/a/x.ts and src/b/y.ts to src/c/deep/y.ts');
  });
});
