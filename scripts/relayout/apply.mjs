#!/usr/bin/env node
/**
 * Applies the re-layout in scripts/relayout/map.json (old repository path -> new repository path, every file
 * under src/ and test/) to the current checkout:
 *
 *   1. checks the map against the tree: a file under src/ or test/ that the map does not name (added after the
 *      map was written) stops the run before anything changes, with the lines to add;
 *   2. `git mv`s every file whose old path exists (a file already at its new path is left alone, so a second
 *      run changes nothing);
 *   3. rewrites every relative path that points at a moved file, or that moved away from what it points at, in
 *      src/, test/, scripts/ and bin/: `from '...'`, `import '...'`, `import('...')`, `vi.mock('...')` and the
 *      other vi.* module helpers, `new URL('...', import.meta.url)`, and the string arguments after
 *      `import.meta.dirname` in path.join / path.resolve;
 *   4. rewrites repository paths named in prose (`src/train/run.ts` in a comment, README.md, artifacts/*.md,
 *      python/, .ci/) when they name a moved file;
 *   5. replaces README.md's `## Layout` section (up to the next `## ` heading) with scripts/relayout/README-layout.md.
 *
 * Then: `npx tsc --noEmit -p .`, `npx vitest run test/layout.test.ts`, commit; scripts/relayout/ and
 * test/relayout-apply.test.ts can go in the same commit (test/layout.test.ts works without the map).
 *
 * Usage (from the repository root, on a clean checkout):
 *   node scripts/relayout/apply.mjs            apply
 *   node scripts/relayout/apply.mjs --check    only check the map against the tree (exit 1 on files it lacks)
 *   node scripts/relayout/apply.mjs --dry-run  print what would change, change nothing
 *   options: --map <file> (default scripts/relayout/map.json), --allow-dirty (skip the clean-tree check)
 * Plain Node (>= 20), no dependencies.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const posix = path.posix;
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const known = new Set(['--check', '--dry-run', '--allow-dirty', '--map']);
const unknownArg = args.find((a, i) => a.startsWith('--') && !known.has(a) && args[i - 1] !== '--map');
if (unknownArg) fail(`unknown option ${unknownArg} (options: --check, --dry-run, --allow-dirty, --map <file>)`);

function fail(message) {
  console.error(`relayout: ${message}`);
  process.exit(1);
}

const git = (...gitArgs) => execFileSync('git', gitArgs, { encoding: 'utf8' });
const ROOT = git('rev-parse', '--show-toplevel').trim();
process.chdir(ROOT);
const MAP_FILE = option('--map', 'scripts/relayout/map.json');
const CODE_ROOTS = ['src', 'test', 'scripts', 'bin'];
const CODE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const PROSE_FILE = /(\.(md|py|sh|ts|mts|js|mjs|txt|toml|cfg)$|^\.ci\/|^package\.json$)/;

// ---------------------------------------------------------------------------------------------------------
// The map and the tree.

const exists = (p) => fs.existsSync(p);
const isFile = (p) => exists(p) && fs.statSync(p).isFile();
const isDir = (p) => exists(p) && fs.statSync(p).isDirectory();

let map;
try {
  map = new Map(Object.entries(JSON.parse(fs.readFileSync(MAP_FILE, 'utf8'))));
} catch (e) {
  fail(`cannot read the map ${MAP_FILE}: ${e.message}`);
}
for (const [from, to] of map) {
  if (typeof to !== 'string' || !/^(src|test)\//.test(from) || !/^(src|test)\//.test(to)) {
    fail(`map entry "${from}": "${to}" must map a path under src/ or test/ to a path under src/ or test/`);
  }
}
const targets = new Map();
for (const [from, to] of map) {
  if (targets.has(to)) fail(`map sends both ${targets.get(to)} and ${from} to ${to}`);
  targets.set(to, from);
}
for (const [from, to] of map) {
  if (from !== to && map.has(to) && map.get(to) !== to) {
    fail(`map moves ${from} to ${to}, which itself moves to ${map.get(to)}: chains are not supported`);
  }
}

const tracked = (...roots) => git('ls-files', '-z', '--', ...roots).split('\0').filter(Boolean);
const untracked = (...roots) =>
  git('ls-files', '-z', '--others', '--exclude-standard', '--', ...roots).split('\0').filter(Boolean);

if (!flag('--allow-dirty') && !flag('--check') && !flag('--dry-run')) {
  const dirty = git('status', '--porcelain').trim();
  if (dirty) fail(`the working tree has changes; commit or stash them first (or pass --allow-dirty):\n${dirty}`);
}

const treeFiles = [...tracked('src', 'test'), ...untracked('src', 'test')];
const unmapped = treeFiles.filter((f) => !map.has(f) && !targets.has(f));
if (unmapped.length > 0) {
  console.error(`relayout: ${unmapped.length} file(s) under src/ or test/ are not in ${MAP_FILE}. Add a line for each`);
  console.error('(old path: new path; the same path twice keeps a file where it is), then run again:\n');
  for (const f of unmapped) console.error(`  "${f}": "${f}",`);
  process.exit(1);
}
const conflicts = [...map].filter(([from, to]) => from !== to && isFile(from) && isFile(to));
if (conflicts.length > 0) {
  fail(`both the old and the new path exist for:\n${conflicts.map(([a, b]) => `  ${a} and ${b}`).join('\n')}`);
}
const gone = [...map].filter(([from, to]) => !isFile(from) && !isFile(to)).map(([from]) => from);
for (const f of gone) console.warn(`relayout: warning: ${f} is in the map but not in the tree (deleted, or not merged yet)`);

if (flag('--check')) {
  const pending = [...map].filter(([from, to]) => from !== to && isFile(from)).length;
  console.log(`relayout: the map covers all ${treeFiles.length} files under src/ and test/; ${pending} move(s) pending`);
  process.exit(0);
}

/** Where a path that exists now will be after the move (files by the map, folders by where their files go). */
const moves = new Map([...map].filter(([from, to]) => from !== to && isFile(from)));
const newFileOf = (p) => moves.get(p) ?? p;

/** An old folder whose every file moves to the same new folder, keeping its relative path, maps as a folder. */
const folderMoves = new Map();
{
  const candidates = new Set();
  for (const from of moves.keys()) {
    for (let d = posix.dirname(from); d !== '.'; d = posix.dirname(d)) candidates.add(d);
  }
  for (const dir of candidates) {
    const inside = treeFiles.filter((f) => f.startsWith(`${dir}/`));
    const bases = new Set(inside.map((f) => {
      const to = newFileOf(f);
      const rel = f.slice(dir.length + 1);
      return to.endsWith(`/${rel}`) ? to.slice(0, to.length - rel.length - 1) : null;
    }));
    if (bases.size === 1 && !bases.has(null)) {
      const [base] = bases;
      if (base !== dir) folderMoves.set(dir, base);
    }
  }
}
const newDirOf = (d) => folderMoves.get(d) ?? d;
/** Old folders whose files all move, to more than one place: a mention of one cannot be rewritten. */
const splitFolders = new Set([...new Set([...moves.keys()].map((f) => posix.dirname(f)))]
  .filter((d) => !folderMoves.has(d) && treeFiles.filter((f) => f.startsWith(`${d}/`)).every((f) => moves.has(f))));
const splitMentions = new Set();

// ---------------------------------------------------------------------------------------------------------
// Rewriting.

const warnings = [];
let changedSpecifiers = 0;
let changedMentions = 0;

/**
 * The relative path `spec` (to a file, or to a folder) written in `file` (current path), for the file's new place.
 * Returns `spec` itself when neither end moves; records a warning when it points at nothing.
 */
function rewriteRelative(file, spec) {
  const dir = posix.dirname(file);
  const target = posix.normalize(posix.join(dir, spec));
  const asTs = target.replace(/\.(m|c)?js$/, '.$1ts');
  let current;
  let tsForJs = false;
  if (isFile(target)) current = target;
  else if (asTs !== target && isFile(asTs)) { current = asTs; tsForJs = true; }
  else if (isDir(target)) current = target;
  else {
    warnings.push(`${file}: '${spec}' points at nothing; left as it is`);
    return spec;
  }
  let resolved = isDir(current) ? newDirOf(current) : newFileOf(current);
  if (resolved === current && newFileOf(file) === file) return spec; // neither end moves
  if (tsForJs) resolved = resolved.replace(/\.(m|c)?ts$/, '.$1js');
  let rel = posix.relative(posix.dirname(newFileOf(file)), resolved) || '.';
  if (!rel.startsWith('.')) rel = `./${rel}`;
  if (spec.endsWith('/') && !rel.endsWith('/')) rel += '/';
  if (rel !== spec) changedSpecifiers++;
  return rel;
}

const RELATIVE = String.raw`\.\.?(?:\/[^'"\n]*)?`;
const SPECIFIER_PATTERNS = [
  new RegExp(String.raw`(\bfrom\s*)(['"])(${RELATIVE})\2`, 'g'),
  new RegExp(String.raw`(\bimport\s*)(['"])(${RELATIVE})\2`, 'g'),
  new RegExp(String.raw`(\bimport\s*\(\s*)(['"])(${RELATIVE})\2`, 'g'),
  new RegExp(String.raw`(\bvi\.(?:mock|doMock|unmock|doUnmock|importActual|importMock)\s*\(\s*)(['"])(${RELATIVE})\2`, 'g'),
  new RegExp(String.raw`(\bnew\s+URL\s*\(\s*)(['"])(${RELATIVE})\2(?=\s*,\s*import\.meta\.url)`, 'g'),
];

function rewriteCode(file, code) {
  for (const pattern of SPECIFIER_PATTERNS) {
    code = code.replace(pattern, (_, head, quote, spec) => `${head}${quote}${rewriteRelative(file, spec)}${quote}`);
  }
  // path.join(import.meta.dirname, '..', '..', 'bin', 'graftlr.mjs'): the literal segments after the folder.
  code = code.replace(/(\bimport\.meta\.dirname\s*,\s*)((?:(['"])[^'"\n]*\3(?:\s*,\s*)?)+)/g, (whole, head, list) => {
    const trailing = list.match(/\s*,\s*$/)?.[0] ?? '';
    const body = list.slice(0, list.length - trailing.length);
    const quote = body[0];
    const segments = [...body.matchAll(/(['"])([^'"\n]*)\1/g)].map((m) => m[2]);
    const joined = posix.join(...segments);
    const spec = joined.startsWith('.') ? joined : `./${joined}`;
    const target = posix.normalize(posix.join(posix.dirname(file), spec));
    if (!exists(target)) return whole; // a folder plus a computed name: not a full path
    const next = rewriteRelative(file, spec);
    if (next === spec) return whole;
    const cleaned = next.replace(/^\.\//, '');
    const parts = segments.length === 1 ? [cleaned] : cleaned.split('/');
    return `${head}${parts.map((p) => `${quote}${p}${quote}`).join(', ')}${trailing}`;
  });
  return code;
}

/** `src/train/run.ts` (or `.js`) written as a repository path in prose or a string: the moved file's new path. */
function rewriteMentions(text) {
  return text.replace(/(?<![\w./-])((?:src|test)\/[\w./-]*[\w])/g, (whole) => {
    let next = whole;
    if (moves.has(whole)) next = moves.get(whole);
    else if (/\.js$/.test(whole) && moves.has(whole.replace(/\.js$/, '.ts'))) {
      next = moves.get(whole.replace(/\.js$/, '.ts')).replace(/\.ts$/, '.js');
    }
    else if (folderMoves.has(whole)) next = folderMoves.get(whole);
    else if (splitFolders.has(whole)) splitMentions.add(whole);
    if (next !== whole) changedMentions++;
    return next;
  });
}

const codeFiles = [...tracked(...CODE_ROOTS), ...untracked(...CODE_ROOTS)].filter((f) => CODE_FILE.test(f) && isFile(f));
const relayoutOwn = (f) => f.startsWith('scripts/relayout/');
const proseFiles = [...tracked('.'), ...untracked('.')]
  .filter((f) => PROSE_FILE.test(f) && isFile(f) && !relayoutOwn(f) && !f.startsWith('node_modules/'));

const newText = new Map();
for (const f of new Set([...codeFiles, ...proseFiles])) {
  if (relayoutOwn(f)) continue;
  const before = fs.readFileSync(f, 'utf8');
  let after = codeFiles.includes(f) ? rewriteCode(f, before) : before;
  after = rewriteMentions(after);
  if (after !== before) newText.set(f, after);
}

/** README.md's `## Layout` section, up to the next `## ` heading, becomes README-layout.md. */
const LAYOUT_TEXT = 'scripts/relayout/README-layout.md';
if (isFile('README.md') && isFile(LAYOUT_TEXT)) {
  const before = newText.get('README.md') ?? fs.readFileSync('README.md', 'utf8');
  const section = /^## Layout\n[\s\S]*?(?=^## |(?![\s\S]))/m;
  if (section.test(before)) {
    const after = before.replace(section, `${fs.readFileSync(LAYOUT_TEXT, 'utf8').trimEnd()}\n\n`);
    if (after !== fs.readFileSync('README.md', 'utf8')) newText.set('README.md', after);
    else newText.delete('README.md');
  } else {
    warnings.push(`README.md has no "## Layout" section; paste ${LAYOUT_TEXT} by hand`);
  }
}

if (flag('--dry-run')) {
  for (const [from, to] of moves) console.log(`move ${from} -> ${to}`);
  for (const f of newText.keys()) console.log(`edit ${f}`);
} else {
  for (const [from, to] of moves) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (untracked(from).length > 0) fs.renameSync(from, to);
    else git('mv', from, to);
  }
  for (const [f, text] of newText) fs.writeFileSync(newFileOf(f), text);
  removeEmptyFolders('src');
  removeEmptyFolders('test');
}

function removeEmptyFolders(dir) {
  if (!isDir(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeEmptyFolders(path.join(dir, e.name));
  if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

for (const w of warnings) console.warn(`relayout: warning: ${w}`);
for (const d of splitMentions) {
  console.warn(`relayout: note: prose names the folder ${d}, whose files now live in several folders; reword by hand (git grep -n '${d}')`);
}
const [moved, edited] = flag('--dry-run') ? ['would move', 'would edit'] : ['moved', 'edited'];
console.log(`relayout: ${moved} ${moves.size} file(s), ${edited} ${newText.size} `
  + `(${changedSpecifiers} relative path(s), ${changedMentions} mention(s) of moved paths)`);
if (moves.size > 0 && !flag('--dry-run')) console.log('relayout: next: npx tsc --noEmit -p . && npx vitest run test/layout.test.ts');
