/**
 * Axis scales and ticks for the SVG charts: linear and logarithmic (base 10), with "nice" tick values
 * (1, 2, 5 x 10^k) and short labels.
 */

export interface Scale {
  /** data value -> pixel */
  map(v: number): number;
  ticks: number[];
  domain: [number, number];
  log: boolean;
}

/** A nice step (1, 2 or 5 x 10^k) giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/** Multiples of a nice step inside [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(hi - lo, count);
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/**
 * Ticks for a log axis on [lo, hi] (lo > 0), at most `max` of them: the densest of {1..9} x 10^k,
 * {1, 2, 5} x 10^k, powers of ten that gives 3 or more ticks (powers of ten thinned to every n-th
 * decade if even they are too many). A range too narrow for 3 such ticks gets linear ticks.
 */
export function logTicks(lo: number, hi: number, max = 8): number[] {
  const within = (mults: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mults) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
      }
    }
    return out;
  };
  const candidates = [within([1, 2, 3, 4, 5, 6, 7, 8, 9]), within([1, 2, 5]), within([1])];
  if (candidates[0].length < 3) return linearTicks(lo, hi, 4).filter((v) => v > 0);
  const fit = candidates.find((t) => t.length <= max && t.length >= 3);
  if (fit) return fit;
  const decades = candidates[2];
  if (decades.length <= max) return decades;
  const every = Math.ceil(decades.length / max);
  return decades.filter((v) => Math.round(Math.log10(v)) % every === 0);
}

/** Extent of finite values (positive only for log), padded by `pad` of the span; a default if empty. */
export function extent(values: number[], log: boolean, pad = 0.05): [number, number] {
  const vs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (vs.length === 0) return log ? [0.1, 10] : [0, 1];
  // A loop, not Math.min(...vs): spreading a 100,000-point trace overflows the call stack.
  let lo = Infinity,
    hi = -Infinity;
  for (const v of vs) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (log) {
    let a = Math.log10(lo),
      b = Math.log10(hi);
    if (b - a < 0.3) {
      const mid = (a + b) / 2;
      a = mid - 0.15;
      b = mid + 0.15;
    } // at least a factor of 2
    const p = (b - a) * pad;
    return [10 ** (a - p), 10 ** (b + p)];
  }
  if (hi === lo) {
    lo -= Math.abs(lo) * 0.5 || 1;
    hi += Math.abs(hi) * 0.5 || 1;
  }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** Maps [d0, d1] onto pixels [r0, r1] (r1 < r0 for a y axis growing upwards). */
export function makeScale(domain: [number, number], range: [number, number], log: boolean, tickCount = 5): Scale {
  const [d0, d1] = domain,
    [r0, r1] = range;
  const f = log ? Math.log10 : (v: number) => v;
  const a = f(d0),
    b = f(d1);
  return {
    map: (v) => r0 + ((f(v) - a) / (b - a || 1)) * (r1 - r0),
    ticks: log ? logTicks(d0, d1, Math.max(2, tickCount + 2)) : linearTicks(d0, d1, tickCount),
    domain,
    log,
  };
}

/** Short tick label: "0.01", "250", "1e-4", "2e+5" -> "2e5". */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3)
    return v
      .toExponential()
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}
