/**
 * Control characters from files are shown as escapes, never sent to the terminal (issue 23, item 11).
 */
import { describe, expect, it } from 'vitest';
import { printable, printableDeep } from '../../src/core/printable.js';

describe('printable', () => {
  it('escapes ESC, newline, carriage return, tab, DEL, C1 and bidi controls; keeps other text', () => {
    expect(printable('2026-01-01\u001b[2J')).toBe('2026-01-01\\x1b[2J');
    expect(printable('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(printable('\u0000\u007f\u0085')).toBe('\\x00\\x7f\\x85');
    expect(printable('abc\u202egpj.exe\u2028')).toBe('abc\\u202egpj.exe\\u2028');
    expect(printable('encoder.layer.0 — Zürich 東京 ##s')).toBe('encoder.layer.0 — Zürich 東京 ##s');
  });

  it('maps every string and key of a nested value, and leaves numbers and typed arrays alone', () => {
    const c = new Float32Array([1, 2]);
    const v = { createdAt: 'x\u001b[2J', groups: { 'g\n1': { n: 3, names: ['a\tb'] } }, trace: { c }, none: null };
    const out = printableDeep(v);
    expect(out).toEqual({ createdAt: 'x\\x1b[2J', groups: { 'g\\n1': { n: 3, names: ['a\\tb'] } }, trace: { c }, none: null });
    expect(out.trace.c).toBe(c);
    expect(v.createdAt).toBe('x\u001b[2J'); // the input is not changed
  });
});
