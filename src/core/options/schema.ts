/**
 * An options schema: one entry per option of a job (train, extract, compare, compression) with its kind,
 * default, limits and one line of help. The library validates through it (`applySchema`) and the command
 * line builds its flags from it (src/cli/schema-flags.ts), so a default or a limit is written once.
 */
import { checkEnum, checkInt, checkList, checkNumber, stripUndefined, type Interval } from './validate.js';

/** int/number: a number in the interval; enum: one of `choices`; ints/numbers/enums/strings: non-empty lists of those. */
export type OptionKind = 'int' | 'number' | 'enum' | 'string' | 'boolean' | 'ints' | 'numbers' | 'enums' | 'strings';

export interface OptionSpec extends Interval {
  kind: OptionKind;
  /** One line for --help and for the doc of the option. */
  help: string;
  /** The recommended value; absent when it depends on other options (say how in `help`). */
  default?: unknown;
  /**
   * The default applies only where the option matters (e.g. Adam's betas): the library fills it in, the flag
   * leaves the option unset, so that giving it where it does not matter can be refused. --help still shows it.
   */
  implied?: boolean;
  choices?: readonly string[];
  /** The command-line flag (kebab-case); absent for options that only the library takes. */
  flag?: string;
  /** A check of its own instead of the kind's (for values such as "sotu" or a list of files). */
  check?: (who: string, name: string, value: unknown) => void;
}

export type OptionSchema = Record<string, OptionSpec>;

/** Throws a one-line error unless `value` fits the spec. */
export function checkOption(who: string, name: string, spec: OptionSpec, value: unknown): void {
  if (spec.check) return spec.check(who, name, value);
  switch (spec.kind) {
    case 'int':
      return checkInt(who, name, value, spec.lo ?? -Infinity, spec.hi);
    case 'number':
      return checkNumber(who, name, value, spec);
    case 'enum':
      return checkEnum(who, name, value, spec.choices ?? []);
    case 'boolean':
      if (typeof value !== 'boolean') throw new Error(`${who}: ${name} = ${JSON.stringify(value)} is invalid: expected true or false`);
      return;
    case 'string':
      if (typeof value !== 'string') throw new Error(`${who}: ${name} = ${JSON.stringify(value)} is invalid: expected a string`);
      return;
    case 'ints':
      return checkList(who, name, value, (x) => checkInt(who, `${name} value`, x, spec.lo ?? -Infinity, spec.hi));
    case 'numbers':
      return checkList(who, name, value, (x) => checkNumber(who, `${name} value`, x, spec));
    case 'enums':
      return checkList(who, name, value, (x) => {
        if (!(spec.choices ?? []).includes(x as string)) {
          throw new Error(`${who}: ${name} = ${JSON.stringify(value)} is invalid: expected a list of ${(spec.choices ?? []).join(', ')}`);
        }
      });
    case 'strings':
      return checkList(who, name, value, (x) => {
        if (typeof x !== 'string') throw new Error(`${who}: ${name} value ${JSON.stringify(x)} is invalid: expected a string`);
      });
  }
}

/** The schema's defaults (options without one are left out); lists are copies, so a caller may change its own. */
export function defaultsOf(schema: OptionSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.default !== undefined) out[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return out;
}

/**
 * Options with the schema's defaults filled in and every option the schema names checked; other properties
 * pass through untouched (the caller checks what depends on several options).
 */
export function applySchema<T>(who: string, schema: OptionSchema, options: object): T {
  const o = { ...defaultsOf(schema), ...stripUndefined(options) } as Record<string, unknown>;
  for (const [key, spec] of Object.entries(schema)) if (o[key] !== undefined) checkOption(who, key, spec, o[key]);
  return o as T;
}
