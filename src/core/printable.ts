/**
 * Strings read from files (artifact fields, group names, model metadata, tokenizer pieces) are printed
 * to terminals. A control character in one of them would act instead of showing: ESC [2J clears the
 * screen, a newline forges an extra line of output, U+202E reverses the text after it. Every such string
 * goes through `printable` before it is printed, so it shows as an escape sequence instead.
 *
 * Escaped: C0 controls and DEL (\n, \r, \t, \x1b, ...), C1 controls (U+0080-U+009F), the line and
 * paragraph separators U+2028/U+2029, and the bidirectional controls U+202A-U+202E, U+2066-U+2069.
 * JSON output needs none of this: JSON.stringify already escapes C0 controls.
 */

// eslint-disable-next-line no-control-regex -- control characters are exactly what this escapes
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(ch: string): string {
  const code = ch.charCodeAt(0);
  return SHORT[ch] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** `s` with every control character written as an escape (\n, \x1b, \u202e); other text unchanged. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, escapeOne);
}

/**
 * A copy of `value` in which every string, and every object key, went through `printable`; numbers,
 * booleans, null and typed arrays are kept as they are (typed arrays are shared, not copied). For
 * formatting a whole decoded file (an artifact) for the terminal in one step.
 */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((v) => printableDeep(v)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[printable(k)] = printableDeep(v);
  return out as T;
}
