/**
 * A small, strict flag parser: every command declares its flags; unknown flags, missing values and
 * values of the wrong type are usage errors (exit code 2) with a one-line message.
 */

export class UsageError extends Error {}

export type FlagType = 'string' | 'int' | 'number' | 'boolean' | 'list';

export interface FlagSpec {
  type: FlagType;
  /** One line for --help. */
  help: string;
  default?: string | number | boolean | string[];
  /** Allowed values for string flags. */
  choices?: readonly string[];
  /** Inclusive numeric range for int/number flags. */
  min?: number;
  max?: number;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValue = string | number | boolean | string[] | undefined;

export interface ParsedArgs {
  flags: Record<string, FlagValue>;
  positionals: string[];
}

function parseValue(name: string, spec: FlagSpec, raw: string): FlagValue {
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`--${name} ${raw}: expected one of ${spec.choices.join(', ')}`);
    }
    return raw;
  }
  if (spec.type === 'list') return raw.split(',').filter((s) => s.length > 0);
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (spec.type === 'int' && !Number.isInteger(value))) {
    throw new UsageError(`--${name} ${raw}: expected ${spec.type === 'int' ? 'an integer' : 'a number'}`);
  }
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    throw new UsageError(`--${name} ${raw}: expected a value in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}]`);
  }
  return value;
}

/** Parses `--name value`, `--name=value`, `--flag`, `--no-flag`; everything else is positional. */
export function parseArgs(argv: string[], specs: FlagSpecs): ParsedArgs {
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (!(name in specs) && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      inline = 'false';
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name} (see --help)`);
    if (spec.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') {
        throw new UsageError(`--${name}=${inline}: expected true or false`);
      }
      flags[name] = inline === undefined ? true : inline === 'true';
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    flags[name] = parseValue(name, spec, raw);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (flags[name] === undefined && spec.default !== undefined) flags[name] = spec.default;
  }
  return { flags, positionals };
}

/** The --help text for a command. */
export function formatHelp(usage: string, summary: string, specs: FlagSpecs, details = ''): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const arg = spec.type === 'boolean' ? '' : spec.choices ? ` <${spec.choices.join('|')}>` : ` <${spec.type}>`;
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${String(spec.default)})` : '';
    return [`  --${name}${arg}`, `${spec.help}${def}`];
  });
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
