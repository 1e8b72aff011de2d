import { describe, expect, it } from 'vitest';
import { normalize } from '../../src/data/normalize.js';
import { isIsolatedChar, preTokenize } from '../../src/data/pretokenize.js';

describe('normalize', () => {
  it('folds compatibility forms (NFKC), quotes and dashes, then lowercases', () => {
    // NFKC: U+FB01 "ﬁ" -> "fi", full-width "Ａ" (U+FF21) -> "A", "…" -> "...", NBSP -> space.
    // Quotes: ‘ ’ -> ', “ ” -> ". Dashes: – (U+2013) — (U+2014) − (U+2212) -> '-'. Then lowercase.
    expect(normalize('\uFB01nance Ａ\u2026')).toBe('finance a...');
    expect(normalize('\u201CDon\u2019t\u201D \u2018x\u2019')).toBe("\"don't\" 'x'");
    expect(normalize('1990\u20131991 \u2014 a\u2212b')).toBe('1990-1991 - a-b');
    expect(normalize('THE\u00A0Union')).toBe('the union');
  });

  it('drops control and format characters and collapses whitespace', () => {
    // \u0000 and \u0007 are Cc, \u200B (zero-width space) is Cf, \uFFFD is the replacement character:
    // all removed. Tab, newlines and runs of spaces become one space; ends are trimmed.
    expect(normalize('  a\u0000b\u0007c\u200Bd\uFFFDe \t\n\r\n  f  ')).toBe('abcde f');
  });

  it('lowercases every capital sigma to σ, as the Rust tokenizers library does', () => {
    // JS toLowerCase would give a final ς for the last Σ; Rust's per-char lowercase gives σ.
    expect(normalize('ΣΟΦΙΑΣ')).toBe('σοφιασ');
  });

  it('is idempotent on mixed real text', () => {
    const text = 'Mr. Speaker — “We the People,” said ﬁfty-ﬁve Ａmericans… Café naïve 東京!\t\tEnd.';
    const once = normalize(text);
    expect(normalize(once)).toBe(once);
  });
});

describe('preTokenize', () => {
  it('splits on whitespace and isolates punctuation (ASCII symbols count) and CJK ideographs', () => {
    expect(preTokenize('he said: "don\'t" $5+3=8')).toEqual(['he', 'said', ':', '"', 'don', "'", 't', '"', '$', '5', '+', '3', '=', '8']);
    // 東 and 京 (U+6771, U+4EAC) are CJK ideographs: one word each; "é" is a letter.
    expect(preTokenize('café東京x')).toEqual(['café', '東', '京', 'x']);
    expect(preTokenize('')).toEqual([]);
  });

  it('classifies isolated characters', () => {
    expect(['!', '$', '~', '\u00BF', '\u2022', '東'].map(isIsolatedChar)).toEqual([true, true, true, true, true, true]);
    expect(['a', '7', 'é', '°', ' '].map(isIsolatedChar)).toEqual([false, false, false, false, false]);
  });
});
