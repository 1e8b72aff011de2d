/**
 * The training-data record of a model file is checked before eval uses it, and corpus paths from it are
 * read only when confirmed (issue 23, item 9).
 */
import { describe, expect, it } from 'vitest';
import { corpusToRead, parseRecordedData } from '../../../src/run/eval/recorded-data.js';

const FILE = 'm.onnx';
const REMEDY = ': re-export the model with graftlr export, or pass the data flags (--corpus, --seq-len, ...) yourself';

describe('parseRecordedData', () => {
  it('reads a record as export writes it, and nothing from a model without one', () => {
    const raw = JSON.stringify({
      dataFingerprint: 'sha256:ab',
      corpus: ['/data/a.txt'],
      seqLen: 16,
      vocabSize: 300,
      heldoutFraction: 0.05,
      batchSize: 4,
      evalSequences: 0,
    });
    expect(parseRecordedData(raw, FILE)).toEqual(JSON.parse(raw));
    expect(parseRecordedData(undefined, FILE)).toEqual({});
  });

  it("refuses the issue's inputs in one line naming the file: null, non-JSON, a negative sequence count", () => {
    expect(() => parseRecordedData('null', FILE)).toThrow(`m.onnx: the model's graftlr.data metadata is null, not an object${REMEDY}`);
    expect(() => parseRecordedData('{corpus: sotu', FILE)).toThrow(`m.onnx: the model's graftlr.data metadata is not JSON${REMEDY}`);
    expect(() => parseRecordedData('{"evalSequences":-3}', FILE)).toThrow(
      `m.onnx: the model's graftlr.data metadata has evalSequences = -3: expected an integer >= 0 (0 = all)${REMEDY}`,
    );
  });

  it('refuses each field of the wrong type or range', () => {
    const cases: [object, string][] = [
      [[1], 'is an array, not an object'],
      [{ corpus: 'wiki' }, 'has corpus = "wiki": expected "sotu", "moby-dick" or a non-empty list of file paths'],
      [{ corpus: [] }, 'has corpus = []'],
      [{ corpus: ['a', 3] }, 'has corpus = ["a",3]'],
      [{ seqLen: 2 }, 'has seqLen = 2: expected an integer >= 3'],
      [{ seqLen: 16.5 }, 'has seqLen = 16.5'],
      [{ batchSize: 0 }, 'has batchSize = 0: expected a positive integer'],
      [{ heldoutFraction: 1 }, 'has heldoutFraction = 1: expected a number in (0, 1)'],
      [{ heldoutFraction: '0.1' }, 'has heldoutFraction = "0.1"'],
      [{ dataFingerprint: 5 }, 'has dataFingerprint = 5: expected a string'],
      [{ vocabSize: -1 }, 'has vocabSize = -1'],
    ];
    for (const [value, message] of cases) expect(() => parseRecordedData(JSON.stringify(value), FILE)).toThrow(message);
  });
});

describe('corpusToRead', () => {
  it("uses the caller's corpus first, then a built-in recorded one, then sotu when nothing is recorded", () => {
    expect(corpusToRead(['mine.txt'], ['/etc'], FILE)).toEqual(['mine.txt']);
    expect(corpusToRead(undefined, 'sotu', FILE)).toBe('sotu');
    expect(corpusToRead(undefined, undefined, FILE)).toBe('sotu');
  });

  it('reads recorded file paths only when trusted, and otherwise names them and both ways to confirm', () => {
    expect(corpusToRead(undefined, ['/data/a.txt'], FILE, true)).toEqual(['/data/a.txt']);
    expect(() => corpusToRead(undefined, ['/etc'], FILE)).toThrow(
      'm.onnx says it was trained on the files /etc; eval reads corpus paths from a model only when you confirm them: pass --corpus with those paths (or your own), or --trust-model-corpus',
    );
    expect(() => corpusToRead(undefined, ['a', 'b', 'c', 'd'], FILE)).toThrow('trained on the files a, b, c, ... (4 paths);');
  });
});
