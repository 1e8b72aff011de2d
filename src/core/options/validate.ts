/**
 * The one set of value checks behind every options object and flag: integers, numbers in an interval,
 * one of a set of names, lists of those. Each throws a one-line error that names the value and what was
 * expected, e.g. "train: steps = 0 is invalid: expected an integer >= 1". No imports: any layer may use it.
 */

/** An interval; `lo`/`hi` are inclusive unless `loOpen`/`hiOpen`. Omitted ends are unbounded. */
export interface Interval {
  lo?: number;
  hi?: number;
  loOpen?: boolean;
  hiOpen?: boolean;
}

function prefix(who: string | undefined): string {
  return who ? `${who}: ` : '';
}

/** "[1, 10]", "(0, 1)", ">= 1", "> 0", "<= 5" or "" (unbounded). */
export function describeInterval(r: Interval): string {
  const hasLo = r.lo !== undefined && r.lo !== -Infinity;
  const hasHi = r.hi !== undefined && r.hi !== Infinity && r.hi !== Number.MAX_SAFE_INTEGER;
  if (hasLo && hasHi) return `${r.loOpen ? '(' : '['}${r.lo}, ${r.hi}${r.hiOpen ? ')' : ']'}`;
  if (hasLo) return `${r.loOpen ? '>' : '>='} ${r.lo}`;
  if (hasHi) return `${r.hiOpen ? '<' : '<='} ${r.hi}`;
  return '';
}

/** Whether x lies in the interval. */
export function inInterval(x: number, r: Interval): boolean {
  const loOk = r.lo === undefined || (r.loOpen ? x > r.lo : x >= r.lo);
  const hiOk = r.hi === undefined || (r.hiOpen ? x < r.hi : x <= r.hi);
  return loOk && hiOk;
}

/** "an integer in [1, 10]" / "a number > 0": what a value of this kind and interval must be. */
export function expectation(kind: 'int' | 'number', r: Interval): string {
  const range = describeInterval(r);
  const what = kind === 'int' ? 'an integer' : 'a number';
  if (!range) return kind === 'int' ? what : 'a finite number';
  return range.startsWith('[') || range.startsWith('(') ? `${what} in ${range}` : `${what} ${range}`;
}

/** Throws unless v is an integer in [min, max]; `who` prefixes the message (e.g. "train"). */
export function checkInt(who: string | undefined, name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${prefix(who)}${name} = ${String(v)} is invalid: expected ${expectation('int', { lo: min, hi: max })}`);
  }
}

/** Throws unless v is a finite number in the interval. */
export function checkNumber(who: string | undefined, name: string, v: unknown, range: Interval): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || !inInterval(v, range)) {
    throw new Error(`${prefix(who)}${name} = ${String(v)} is invalid: expected ${expectation('number', range)}`);
  }
}

/** Throws unless v is one of `choices`. */
export function checkEnum<T extends string>(who: string | undefined, name: string, v: unknown, choices: readonly T[]): asserts v is T {
  if (!choices.includes(v as T)) {
    throw new Error(`${prefix(who)}${name} = ${JSON.stringify(v)} is invalid: expected one of ${choices.join(', ')}`);
  }
}

/** Throws unless xs is a non-empty array; `each` checks every element (its message names `name` and the value). */
export function checkList(who: string | undefined, name: string, xs: unknown, each: (x: unknown) => void): void {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`${prefix(who)}${name} must list at least one value`);
  for (const x of xs) each(x);
}

/** A copy without properties whose value is undefined (so they do not override defaults). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
