/**
 * Command-line flags built from an options schema (src/core/options/schema.ts): the flag takes the option's
 * default, limits, choices and help, and `optionsFrom` reads the parsed flags back as library options.
 */
import type { OptionSchema, OptionSpec } from '../core/options/schema.js';
import type { FlagSpec, FlagSpecs, ParsedArgs } from './args.js';

function flagDefault(spec: OptionSpec): FlagSpec['default'] {
  if (spec.default === undefined) return undefined;
  const isList = spec.kind === 'ints' || spec.kind === 'numbers' || spec.kind === 'enums' || spec.kind === 'strings';
  if (Array.isArray(spec.default)) return spec.default.map(String);
  return isList ? [String(spec.default)] : (spec.default as FlagSpec['default']);
}

function flagOf(spec: OptionSpec): FlagSpec {
  const limits = { min: spec.lo, max: spec.hi, loOpen: spec.loOpen, hiOpen: spec.hiOpen };
  const common = spec.implied
    ? { help: `${spec.help} (default: ${String(spec.default)})` }
    : { help: spec.help, default: flagDefault(spec) };
  switch (spec.kind) {
    case 'int':
      return { type: 'int', ...limits, ...common };
    case 'number':
      return { type: 'number', ...limits, ...common };
    case 'enum':
      return { type: 'string', choices: spec.choices, ...common };
    case 'string':
      return { type: 'string', ...common };
    case 'boolean':
      return { type: 'boolean', ...common };
    case 'ints':
      return { type: 'list', items: 'int', ...limits, ...common };
    case 'numbers':
      return { type: 'list', items: 'number', ...limits, ...common };
    case 'enums':
      return { type: 'list', choices: spec.choices, ...common };
    case 'strings':
      return { type: 'list', ...common };
  }
}

/** The flags of the schema's options that have one, in schema order; `pick` limits them to those keys. */
export function flagsOf(schema: OptionSchema, pick?: readonly string[]): FlagSpecs {
  const out: FlagSpecs = {};
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.flag && (!pick || pick.includes(key))) out[spec.flag] = flagOf(spec);
  }
  return out;
}

/** The options the flags set (keyed as the library names them); number lists come back as numbers. */
export function optionsFrom(schema: OptionSchema, args: ParsedArgs, pick?: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    if (!spec.flag || (pick && !pick.includes(key))) continue;
    const value = args.flags[spec.flag];
    if (value === undefined) continue;
    out[key] = (spec.kind === 'numbers' || spec.kind === 'ints') && Array.isArray(value) ? value.map(Number) : value;
  }
  return out;
}
