/**
 * What a resumed run may change, and what it finds when there is nothing left to do.
 *
 * A run resumes only with the settings it was started with (checkpoint.ts checkCompatible), except the
 * peak learning rate (--lr, with the end rate it bounds) and the schedule scale (--schedule-scale): after a
 * divergence, lowering them is the advice that can be followed. Each change is recorded with its step in
 * the run's history, stored with every later checkpoint and in the summary. A resumed run that changes
 * nothing continues bit-identically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Checkpoint } from './checkpoint.js';

/** One setting changed at a resume. */
export interface RunChange {
  step: number;
  setting: 'peakLr' | 'endLr' | 'scheduleScale';
  from: unknown;
  to: unknown;
}

type RunRecord = Record<string, unknown>;

function schedulePart(run: RunRecord, key: 'peakLr' | 'endLr'): unknown {
  return (run.baseSchedule as Record<string, unknown> | undefined)?.[key];
}

/** The run record with the settings a resume may change left out, for checkCompatible. */
export function comparableRun(run: RunRecord): RunRecord {
  const { scheduleScale: _scale, history: _history, ...rest } = run;
  const schedule = run.baseSchedule as Record<string, unknown> | undefined;
  if (!schedule) return rest;
  const { peakLr: _peak, endLr: _end, ...shape } = schedule;
  return { ...rest, baseSchedule: shape };
}

/** A copy without the keys peakLr and endLr at any depth (optimizer specs describe their rate schedule). */
function withoutRates(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutRates);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => k !== 'peakLr' && k !== 'endLr')
      .map(([k, x]) => [k, withoutRates(x)]),
  );
}

const json = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

/**
 * Throws a one-line error naming the first setting that differs between a checkpoint and this run, the
 * changeable ones (peak and end learning rate, schedule scale) left out. `where` names the file.
 */
export function checkResumable(c: Checkpoint, run: RunRecord, optimizerSpec: unknown, where: string): void {
  const refuse = (what: string, stored: unknown, wanted: unknown): never => {
    throw new Error(
      `${where} was made with ${what} = ${json(stored)}, this run has ${json(wanted)}: use the same settings to resume ` +
        '(only --lr and --schedule-scale may change), or start a new run (another --out)',
    );
  };
  if (json(withoutRates(c.optimizer)) !== json(withoutRates(optimizerSpec ?? null))) refuse('optimizer', c.optimizer, optimizerSpec);
  const stored = comparableRun(c.run),
    wanted = comparableRun(run);
  for (const key of Object.keys(wanted)) if (json(stored[key]) !== json(wanted[key])) refuse(key, stored[key], wanted[key]);
}

/** The changes from the stored run to this one at `step` (empty when none). */
export function runChanges(stored: RunRecord, now: RunRecord, step: number): RunChange[] {
  const out: RunChange[] = [];
  const compare = (setting: RunChange['setting'], from: unknown, to: unknown) => {
    if (JSON.stringify(from) !== JSON.stringify(to)) out.push({ step, setting, from, to });
  };
  compare('peakLr', schedulePart(stored, 'peakLr'), schedulePart(now, 'peakLr'));
  compare('endLr', schedulePart(stored, 'endLr'), schedulePart(now, 'endLr'));
  compare('scheduleScale', stored.scheduleScale, now.scheduleScale);
  return out;
}

/** The history stored with a checkpoint's run record ([] for runs never resumed with changes). */
export function storedHistory(c: Checkpoint): RunChange[] {
  return Array.isArray(c.run.history) ? (c.run.history as RunChange[]) : [];
}

/**
 * A run whose checkpoint already holds every step: its stored summary.json, read as it is, or undefined when
 * there is none (the process ended between the last checkpoint and the summary: the run then finishes it).
 */
export function finishedRunSummary(outDir: string, c: Checkpoint, steps: number): Record<string, unknown> | undefined {
  if (c.step < steps) return undefined;
  try {
    const summary = JSON.parse(fs.readFileSync(path.join(outDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    return summary !== null && typeof summary === 'object' && summary.step === c.step ? summary : undefined;
  } catch {
    return undefined;
  }
}

/** Largest |w| a checkpoint may hold: BERT weights stay O(1); far beyond this the run has diverged. */
export const WEIGHT_BOUND = 1e4;

/** The first parameter holding a value that is not finite or larger than WEIGHT_BOUND, or undefined. */
export function weightsOutOfBounds(params: Readonly<Record<string, { data: Float32Array }>>): { name: string; value: number } | undefined {
  for (const name of Object.keys(params).sort()) {
    const data = params[name].data;
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (!(Math.abs(x) <= WEIGHT_BOUND)) return { name, value: x };
    }
  }
  return undefined;
}
