/**
 * Reading a user's text corpus from disk: a list of files and/or folders.
 *
 * - A file given by name is read whatever its extension.
 * - A folder is searched recursively for `*.txt` and `*.md` files (any case); names starting with
 *   '.' (hidden files, `.git`) are skipped, and so are symbolic links to folders. Files are taken in
 *   code-unit order of their paths, so the document order is reproducible.
 * - Every file must be non-empty UTF-8 text: a missing path, an unreadable one, a file with a NUL
 *   byte or invalid UTF-8 ("binary"), an empty or whitespace-only file, and a folder without text
 *   files each throw a one-line Error naming the path and what to do. A leading BOM is dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Document } from './corpus.js';

/** Extensions a folder search picks up. */
export const TEXT_EXTENSIONS = ['.txt', '.md'];

/** Read every text file named by `paths` (files or folders) as documents, in order. */
export function readTextFiles(paths: readonly string[]): Document[] {
  if (paths.length === 0) throw new Error('no corpus paths given: pass "sotu" or one or more text files or folders');
  const files: string[] = [];
  for (const p of paths) {
    const stat = statOrThrow(p);
    if (stat.isDirectory()) {
      const found = listTextFiles(p);
      if (found.length === 0) {
        throw new Error(
          `corpus folder "${p}" has no .txt or .md files (searched recursively): add some, or pass the text files themselves`,
        );
      }
      files.push(...found);
    } else if (stat.isFile()) files.push(p);
    else throw new Error(`corpus path "${p}" is neither a file nor a folder: pass text files or folders`);
  }
  const seen = new Set<string>();
  const docs: Document[] = [];
  for (const file of files) {
    const key = path.resolve(file);
    if (seen.has(key)) continue; // named twice (directly and through its folder)
    seen.add(key);
    docs.push({ id: file, text: readTextFile(file) });
  }
  return docs;
}

/** One file's text; throws a one-line Error for an unreadable, binary or empty file. */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(
      `corpus file "${file}" cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): check that it exists and its permissions`,
    );
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new Error(`corpus file "${file}" looks binary (NUL byte at offset ${nul}): pass UTF-8 text files only`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new Error(`corpus file "${file}" is not valid UTF-8 text: convert it to UTF-8 or leave it out`);
  }
  if (text.trim().length === 0) throw new Error(`corpus file "${file}" is empty: add text to it or leave it out`);
  return text;
}

function statOrThrow(p: string): fs.Stats {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`corpus path "${p}" does not exist: pass an existing text file or folder`);
    throw new Error(`corpus path "${p}" cannot be read (${code ?? (e as Error).message}): check its permissions`);
  }
}

/** *.txt / *.md files under `dir`, recursively, sorted by path. */
function listTextFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new Error(
      `corpus folder "${dir}" cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): check its permissions`,
    );
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTextFiles(full));
    else if (TEXT_EXTENSIONS.includes(path.extname(entry.name).toLowerCase()) && isFileOrLinkToFile(entry, full)) out.push(full);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function isFileOrLinkToFile(entry: fs.Dirent, full: string): boolean {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return fs.statSync(full).isFile();
  } catch {
    return true; // a broken link: reading it reports the problem with its path
  }
}
