/**
 * Speed and loss figures of a run from its step records.
 */
import type { StepRecord } from './loop.js';

export interface StepStats {
  /** Mean loss over the last 10% of the records (at least one); NaN without records. */
  trainLoss: number;
  lastLoss: number;
  /** Sum of step times (s). */
  stepSeconds: number;
  /** Median step time (ms), the first record excluded when there are more (warm-up). */
  msPerStepMedian: number;
  /** Input tokens per second of step time. */
  tokensPerSecond: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function runSummaryStats(records: readonly StepRecord[]): StepStats {
  const n = records.length;
  const tail = records.slice(n - Math.max(1, Math.round(n / 10)));
  const ms = records.reduce((s, r) => s + r.ms, 0);
  const tokens = records.reduce((s, r) => s + r.tokens, 0);
  return {
    trainLoss: n ? tail.reduce((s, r) => s + r.loss, 0) / tail.length : NaN,
    lastLoss: n ? records[n - 1].loss : NaN,
    stepSeconds: ms / 1000,
    msPerStepMedian: median((n > 1 ? records.slice(1) : records).map((r) => r.ms)),
    tokensPerSecond: ms > 0 ? tokens / (ms / 1000) : 0,
  };
}
