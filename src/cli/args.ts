/**
 * Command-line flags: every command declares its flags; node:util parseArgs splits argv into options and
 * positionals (`--name value`, `--name=value`, `--flag`, `--`), and this file adds what it lacks on Node 20:
 * `--no-<flag>` negations, typed values, ranges and choices. Unknown flags, missing values and values of the
 * wrong type are usage errors (exit code 2) with a one-line message.
 */
import { parseArgs as splitArgs } from 'node:util';
import { expectation, inInterval, type Interval } from '../core/options/validate.js';

export class UsageError extends Error {}

export type FlagType = 'string' | 'int' | 'number' | 'boolean' | 'list';

export interface FlagSpec extends Interval {
  type: FlagType;
  /** One line for --help. */
  help: string;
  default?: string | number | boolean | string[];
  /** Allowed values for string flags (and for each element of a list flag). */
  choices?: readonly string[];
  /** Inclusive numeric range for int/number flags (and list elements); `loOpen`/`hiOpen` exclude an end. */
  min?: number;
  max?: number;
  /** list flags: the type of each element (default string). */
  items?: 'string' | 'int' | 'number';
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValue = string | number | boolean | string[] | undefined;

export interface ParsedArgs {
  flags: Record<string, FlagValue>;
  positionals: string[];
}

/** The interval a flag's numbers must lie in. */
function intervalOf(spec: FlagSpec): Interval {
  return { lo: spec.min, hi: spec.max, loOpen: spec.loOpen, hiOpen: spec.hiOpen };
}

function parseNumber(name: string, spec: FlagSpec, type: 'int' | 'number', raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (type === 'int' && !Number.isInteger(value))) {
    throw new UsageError(`--${name} ${raw}: expected ${type === 'int' ? 'an integer' : 'a number'}`);
  }
  if (!inInterval(value, intervalOf(spec))) throw new UsageError(`--${name} ${raw}: expected ${expectation(type, intervalOf(spec))}`);
  return value;
}

function checkChoice(name: string, spec: FlagSpec, raw: string): void {
  if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`--${name} ${raw}: expected one of ${spec.choices.join(', ')}`);
}

function parseValue(name: string, spec: FlagSpec, raw: string): FlagValue {
  if (spec.type === 'string') {
    checkChoice(name, spec, raw);
    return raw;
  }
  if (spec.type === 'list') {
    const items = raw.split(',').filter((s) => s.length > 0);
    for (const item of items) {
      if (spec.items === 'int' || spec.items === 'number') parseNumber(name, spec, spec.items, item);
      else checkChoice(name, spec, item);
    }
    return items;
  }
  return parseNumber(name, spec, spec.type as 'int' | 'number', raw);
}

/** Parses argv against the specs; defaults fill the flags not given. */
export function parseArgs(argv: string[], specs: FlagSpecs): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
    if (spec.type === 'boolean' && !(`no-${name}` in specs)) options[`no-${name}`] = { type: 'boolean' };
  }
  // Not strict: parseArgs would refuse `--lr -1` and `--flag=false`; unknown names are refused below instead.
  const { tokens } = splitArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    if (token.rawName.length < 3 || !token.rawName.startsWith('--')) {
      positionals.push(token.rawName); // a short option such as -x: not a flag of ours; "-" alone is a positional already
      continue;
    }
    let name = token.name;
    let value = token.value;
    if (!(name in specs) && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      if (value !== undefined) throw new UsageError(`--no-${name} takes no value`);
      value = 'false';
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name} (see --help)`);
    if (spec.type === 'boolean') {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new UsageError(`--${name}=${value}: expected true or false`);
      flags[name] = value === undefined ? true : value === 'true';
      continue;
    }
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags[name] = parseValue(name, spec, value);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (flags[name] === undefined && spec.default !== undefined) flags[name] = spec.default;
  }
  return { flags, positionals };
}

/** "<int in [1, 64]>", "<tensor|block>", "<number list>": the value a flag takes, as --help shows it. */
function argumentOf(spec: FlagSpec): string {
  if (spec.type === 'boolean') return '';
  if (spec.choices) return spec.type === 'list' ? ` <${spec.choices.join('|')},...>` : ` <${spec.choices.join('|')}>`;
  const numeric = spec.type === 'int' || spec.type === 'number' ? spec.type : spec.type === 'list' ? spec.items : undefined;
  if (numeric === 'int' || numeric === 'number') {
    const what = expectation(numeric, intervalOf(spec)).replace(/^an? /, '').replace('finite number', 'number');
    return spec.type === 'list' ? ` <${what},...>` : ` <${what}>`;
  }
  return ` <${spec.type}>`;
}

function formatDefault(spec: FlagSpec): string {
  if (spec.default === undefined || spec.default === false) return '';
  return ` (default: ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})`;
}

/** The --help text for a command: every flag with its value type, limits, default and help line. */
export function formatHelp(usage: string, summary: string, specs: FlagSpecs, details = ''): string {
  const rows = Object.entries(specs).map(([name, spec]) => [`  --${name}${argumentOf(spec)}`, `${spec.help}${formatDefault(spec)}`]);
  const width = Math.max(0, ...rows.map(([left]) => left.length)) + 2;
  const lines = rows.map(([left, right]) => left.padEnd(width) + right);
  return [`usage: ${usage}`, '', summary, ...(details ? ['', details] : []), '', 'options:', ...lines, ''].join('\n');
}

/** Typed accessors: the parser already enforced types, these only narrow them. */
export const flag = {
  str: (a: ParsedArgs, name: string): string | undefined => a.flags[name] as string | undefined,
  int: (a: ParsedArgs, name: string): number | undefined => a.flags[name] as number | undefined,
  num: (a: ParsedArgs, name: string): number | undefined => a.flags[name] as number | undefined,
  bool: (a: ParsedArgs, name: string): boolean => a.flags[name] === true,
  list: (a: ParsedArgs, name: string): string[] | undefined => a.flags[name] as string[] | undefined,
};
