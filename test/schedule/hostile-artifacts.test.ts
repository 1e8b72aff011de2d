/**
 * Artifacts that pass their checksum but hold values graftlr never writes (issue: "export-schedule and inspect
 * accept artifacts that train refuses", "train accepts invalid base schedules"). Each file here is the shipped
 * artifacts/tiny.graft with one field edited and the checksum recomputed, as in the reliability trials; every
 * reader goes through decodeArtifact, so each must be refused there, in one line, naming the field.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unpack } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../src/schedule/artifact.js';
import { encodeContainer } from '../../src/formats/codec.js';
import { scheduleTarget } from '../../src/schedule/export.js';
import { cli } from '../cli/helpers.js';

const TINY = fs.readFileSync(new URL('../../artifacts/tiny.graft', import.meta.url));
const V1_FIXTURE = fs.readFileSync(new URL('../fixtures/schedule-v1.graft', import.meta.url));
const REMEDY = ': the file is corrupted or was not written by graftlr; re-run extract';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-hostile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The file with `edit` applied to its decoded map and a valid checksum (so only validation can refuse it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function edited(bytes: Uint8Array, edit: (body: any) => void): Uint8Array {
  const { checksum: _, ...body } = unpack(bytes);
  edit(body);
  return encodeContainer(body);
}

describe('the step-norm artifact without options.target (item 6)', () => {
  const noTarget = edited(TINY, (b) => {
    delete b.compression.options.target;
  });

  it('is refused at decode: its values cannot be read as the default multipliers', () => {
    expect(scheduleTarget(decodeArtifact(TINY))).toBe('stepNorm'); // the original: step norms with a factored preconditioner
    expect(() => decodeArtifact(noTarget)).toThrow(
      'schedule artifact field compression.options.target is missing although options.preconditioner is present (graftlr writes target with it), ' +
        `so the meaning of the group values is unknown${REMEDY}`,
    );
  });

  it('a target of "multiplier" beside the factored preconditioner is refused too (train refused it; decode now does)', () => {
    const multiplier = edited(TINY, (b) => {
      b.compression.options.target = 'multiplier';
    });
    expect(() => decodeArtifact(multiplier)).toThrow(
      `schedule artifact field compression.options is invalid: preconditioner = "factored" needs target "stepNorm" (got "multiplier")${REMEDY}`,
    );
  });

  it('a file from before targets existed (no target, no later option) still reads as multipliers', () => {
    expect(scheduleTarget(decodeArtifact(V1_FIXTURE))).toBe('multiplier');
  });

  it('inspect, export-schedule and train all refuse it in one line naming the file (exit 1)', async () => {
    const file = path.join(tmp, 'no-target.graft');
    fs.writeFileSync(file, noTarget);
    for (const argv of [
      ['inspect', file],
      ['export-schedule', file, '--format', 'torch'],
      ['train', '--schedule', file, '--preset', 'tiny', '--steps', '2'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv[0]).toBe(1);
      expect(r.out, argv[0]).toBe('');
      const lines = r.err
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('backend: ')); // train first says which backend it set up
      expect(lines, argv[0]).toHaveLength(1);
      expect(r.err, argv[0]).toContain(`${file}: schedule artifact field compression.options.target is missing`);
    }
  });
});

describe('base schedules that pass the checksum (items 6 and 7)', () => {
  const base = (edit: (s: Record<string, unknown>) => void) => edited(TINY, (b) => edit(b.probe.baseSchedule));
  const field = (name: string, problem: string) => `schedule artifact field probe.baseSchedule.${name} ${problem}${REMEDY}`;

  it('refuses peakLr "x", a missing peakLr and peakLr 1e6, giving the range (0, 10]', () => {
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.peakLr = 'x';
        }),
      ),
    ).toThrow(field('peakLr', 'must be a number in (0, 10], got "x"'));
    expect(() =>
      decodeArtifact(
        base((s) => {
          delete s.peakLr;
        }),
      ),
    ).toThrow(field('peakLr', 'must be a number in (0, 10], got nothing'));
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.peakLr = 1e6;
        }),
      ),
    ).toThrow(field('peakLr', 'must be a number in (0, 10], got 1000000'));
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.peakLr = 0;
        }),
      ),
    ).toThrow(field('peakLr', 'must be a number in (0, 10], got 0'));
  });

  it('refuses totalSteps 0 (the whole run would be warmup) and warmupSteps -5 or above totalSteps', () => {
    expect(() =>
      decodeArtifact(
        edited(TINY, (b) => {
          b.probe.baseSchedule.totalSteps = 0;
          b.probe.totalSteps = 0;
        }),
      ),
    ).toThrow(field('totalSteps', 'must be an integer >= 1, got 0'));
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.warmupSteps = -5;
        }),
      ),
    ).toThrow(field('warmupSteps', 'must be an integer >= 0, got -5'));
    const total = decodeArtifact(TINY).probe.totalSteps;
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.warmupSteps = total + 1;
        }),
      ),
    ).toThrow(field('warmupSteps', `must be at most totalSteps (${total}), got ${total + 1}`));
  });

  it('refuses a base schedule laid out for another length than probe.totalSteps, another kind, decay or endLr', () => {
    const total = decodeArtifact(TINY).probe.totalSteps;
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.totalSteps = total * 2;
        }),
      ),
    ).toThrow(`schedule artifact field probe.totalSteps is ${total} but probe.baseSchedule.totalSteps is ${total * 2}`);
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.kind = 'constant';
        }),
      ),
    ).toThrow(field('kind', 'must be "base", got "constant"'));
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.decay = 'exp';
        }),
      ),
    ).toThrow(field('decay', 'is "exp", expected one of linear, cosine, constant, inverse-sqrt'));
    const peak = decodeArtifact(TINY).probe.baseSchedule.peakLr;
    expect(() =>
      decodeArtifact(
        base((s) => {
          s.endLr = 2 * peak;
        }),
      ),
    ).toThrow(field('endLr', `must be a number in [0, peakLr = ${peak}], got ${2 * peak}`));
  });
});

describe('arrays with the right element count but the wrong shape (item 7)', () => {
  it('refuses trace.c stored as [G, m] instead of [m, G]', () => {
    const { trace, model } = decodeArtifact(TINY);
    const m = trace!.fraction.length,
      G = model.groups.length;
    expect(m).not.toBe(G); // else the swap would not be visible
    const swapped = edited(TINY, (b) => {
      b.trace.c.shape = [G, m];
    });
    expect(() => decodeArtifact(swapped)).toThrow(
      `schedule artifact field trace.c: shape [${G},${m}] is not the expected [${m},${G}]${REMEDY}`,
    );
    const flat = edited(TINY, (b) => {
      b.trace.c.shape = [m * G];
    });
    expect(() => decodeArtifact(flat)).toThrow(`schedule artifact field trace.c: shape [${m * G}] is not the expected [${m},${G}]`);
  });

  it('refuses preconditioner factors stored as [1, n] instead of [n]', () => {
    const { model } = decodeArtifact(TINY);
    const matrix = model.params.find((p) => p.shape.length === 2)!;
    const rows = matrix.shape[0];
    const bad = edited(TINY, (b) => {
      b.preconditioner.params[matrix.name].rows.shape = [1, rows];
    });
    expect(() => decodeArtifact(bad)).toThrow(
      `schedule artifact field preconditioner.params.${matrix.name}.rows: shape [1,${rows}] is not the expected [any]${REMEDY}`,
    );
  });
});

describe('compression options of the wrong type or range', () => {
  it('refuses each with the option named', () => {
    const opt = (edit: (o: Record<string, unknown>) => void) => edited(TINY, (b) => edit(b.compression.options));
    expect(() =>
      decodeArtifact(
        opt((o) => {
          o.flagSpread = true;
        }),
      ),
    ).toThrow('schedule artifact field compression.options.flagSpread must be a finite number, got true');
    expect(() =>
      decodeArtifact(
        opt((o) => {
          o.knots = 1;
        }),
      ),
    ).toThrow('schedule artifact field compression.options is invalid: knots = 1 is invalid: expected an integer in [2, 64]');
    expect(() =>
      decodeArtifact(
        opt((o) => {
          o.target = 'lr';
        }),
      ),
    ).toThrow('compression.options is invalid: target = "lr" is invalid: expected multiplier or stepNorm');
    expect(() =>
      decodeArtifact(
        opt((o) => {
          delete o.flagSpread;
        }),
      ),
    ).toThrow('schedule artifact field compression.options.flagSpread is missing');
    expect(() =>
      decodeArtifact(
        opt((o) => {
          o.method = 'constant';
        }),
      ),
    ).toThrow('schedule artifact field compression.options.method is "constant" but compression.method is "factorized"');
  });
});
