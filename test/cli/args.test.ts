/**
 * The flag parser (node:util parseArgs underneath) and the flags built from the options schemas: negations,
 * typed values and limits, list elements, and --help lines that show each flag's limits and default.
 */
import { describe, expect, it } from 'vitest';
import { formatHelp, parseArgs, type FlagSpecs } from '../../src/cli/args.js';
import { commands } from '../../src/cli/registry.js';
import { runFlags } from '../../src/cli/run-flags.js';
import { flagsOf, optionsFrom } from '../../src/cli/schema-flags.js';
import { COMPARE_SCHEMA, validateCompareOptions } from '../../src/experiments/compare/options.js';
import { PROBE_SCHEMA, validateProbeOptions } from '../../src/run/probe/probe.js';
import { defaultsOf } from '../../src/core/options/schema.js';
import { RUN_SCHEMA, validateRunOptions } from '../../src/run/train/options.js';
import { TRAIN_SCHEMA } from '../../src/run/train/train-options.js';

const specs: FlagSpecs = {
  steps: { type: 'int', min: 1, default: 10, help: 'steps' },
  lr: { type: 'number', min: 0, loOpen: true, max: 1, help: 'rate' },
  graft: { type: 'boolean', default: true, help: 'graft' },
  lrs: { type: 'list', items: 'number', min: 0, help: 'rates' },
  mode: { type: 'string', choices: ['a', 'b'], help: 'mode' },
};

describe('parseArgs', () => {
  it('reads --name value, --name=value, --flag, --no-flag, positionals and everything after --', () => {
    const r = parseArgs(['x.graft', '--steps', '3', '--lr=0.5', '--no-graft', '--lrs', '1,2', '--', '--steps'], specs);
    expect(r).toEqual({ flags: { steps: 3, lr: 0.5, graft: false, lrs: ['1', '2'] }, positionals: ['x.graft', '--steps'] });
    expect(parseArgs([], specs).flags).toEqual({ steps: 10, graft: true });
    expect(parseArgs(['--graft=false', '-'], specs)).toEqual({ flags: { steps: 10, graft: false }, positionals: ['-'] });
  });

  it('refuses unknown flags, missing values, bad numbers, values out of range and unknown choices in one line', () => {
    const error = (argv: string[]) => {
      try {
        parseArgs(argv, specs);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(error(['--colour'])).toBe('unknown flag --colour (see --help)');
    expect(error(['--steps'])).toBe('--steps needs a value');
    expect(error(['--steps', '1.5'])).toBe('--steps 1.5: expected an integer');
    expect(error(['--steps', '0'])).toBe('--steps 0: expected an integer >= 1');
    expect(error(['--lr', '0'])).toBe('--lr 0: expected a number in (0, 1]');
    expect(error(['--lr', '-1'])).toBe('--lr -1: expected a number in (0, 1]'); // a negative value is still the flag's value
    expect(error(['--lrs', '1,x'])).toBe('--lrs x: expected a number');
    expect(error(['--mode', 'c'])).toBe('--mode c: expected one of a, b');
    expect(error(['--no-graft=1'])).toBe('--no-graft takes no value');
  });

  it('--help shows each flag with its value type, limits and default', () => {
    const help = formatHelp('graftlr x', 'summary', specs);
    expect(help).toMatch(/--steps <integer >= 1> +steps \(default: 10\)/);
    expect(help).toMatch(/--lr <number in \(0, 1\]> +rate\n/);
    expect(help).toMatch(/--lrs <number >= 0,\.\.\.> +rates/);
    expect(help).toMatch(/--mode <a\|b> +mode/);
  });
});

describe('flags built from the options schemas', () => {
  it('the command line and the library share defaults: no flags give the options the library fills in', () => {
    const parsed = parseArgs([], { ...runFlags, ...flagsOf(TRAIN_SCHEMA) });
    const fromFlags = { ...optionsFrom(RUN_SCHEMA, parsed), ...optionsFrom(TRAIN_SCHEMA, parsed) };
    const library = { ...validateRunOptions('t', {}), ...defaultsOf(TRAIN_SCHEMA) } as Record<string, unknown>;
    for (const [key, value] of Object.entries(fromFlags)) {
      expect(key === 'corpus' ? (value as string[]).join(',') : value, key).toEqual(library[key]);
    }
    expect(validateRunOptions('t', {}).engine).toBe('ort');
    expect(parsed.flags.engine).toBe('ort');
  });

  it('the probe and compare flags parse to options their library validation accepts unchanged', () => {
    const probe = optionsFrom(PROBE_SCHEMA, parseArgs([], flagsOf(PROBE_SCHEMA)));
    expect(validateProbeOptions(probe)).toMatchObject(probe);
    const compare = optionsFrom(COMPARE_SCHEMA, parseArgs(['--adam-lrs', '1e-3,2e-3', '--seeds', '0,1'], flagsOf(COMPARE_SCHEMA)));
    expect(compare.adamLrs).toEqual([1e-3, 2e-3]);
    expect(validateCompareOptions(compare)).toMatchObject({ ...compare, seeds: [0, 1] });
  });

  it('a limit is the same on both sides: --seq-len and seqLen both stop at 65536, --lr and lr both refuse 0', () => {
    const flags = { ...runFlags, ...flagsOf(TRAIN_SCHEMA) };
    expect(() => parseArgs(['--seq-len', '65537'], flags)).toThrow('--seq-len 65537: expected an integer in [3, 65536]');
    expect(() => validateRunOptions('train', { seqLen: 65537 })).toThrow(
      'train: seqLen = 65537 is invalid: expected an integer in [3, 65536]',
    );
    expect(() => parseArgs(['--lr', '0'], flags)).toThrow('--lr 0: expected a number in (0, 1000000]');
  });

  it('every command keeps a --help line per flag', () => {
    for (const c of commands()) {
      const help = formatHelp(c.usage, c.summary, c.flags, c.details);
      for (const name of Object.keys(c.flags)) expect(help, `${c.name} --${name}`).toContain(`  --${name}`);
    }
  });
});

describe('bench --memory --jobs', () => {
  it('refuses a job it does not know, naming the jobs it has, before anything runs', async () => {
    const { cli } = await import('./helpers.js');
    const r = await cli('bench', '--memory', '--jobs', 'static,lion');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--jobs: "lion" is not one of static, probe, probe-factored-adam, probe-factored-adam-bf16');
  });
});
