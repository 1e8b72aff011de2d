/**
 * Seeded pseudo-random numbers in plain JS, identical on every backend and engine.
 * A seed fixes initialisation, data order and masking; each use draws from its own named stream
 * (`rng(seed, 'init')`, `rng(seed, 'mask', step)`), so adding draws to one never shifts another.
 */
import { checkInt } from './options/validate.js';

/** A 32-bit string/number hash (FNV-1a) used to derive stream seeds from labels. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Normal(0, std) redrawn until |x| <= 2 std (the usual BERT truncated-normal init). */
  truncatedNormal(std: number): number;
  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[];
}

/**
 * A stream for (seed, ...labels). The generator is SplitMix32-style: state += golden gamma, then a
 * 32-bit avalanche; good statistical quality for this use and trivially reproducible.
 */
export function rng(seed: number, ...labels: (string | number)[]): Rng {
  checkInt(undefined, 'seed', seed, 0, 0xffffffff);
  let state = hash32(`${seed}/${labels.join('/')}`);
  const next32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const uniform = (): number => next32() / 4294967296;
  const normal = (): number => {
    const u1 = 1 - uniform(); // (0, 1]
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  return {
    uniform,
    int: (n) => Math.floor(uniform() * n),
    normal,
    truncatedNormal(std) {
      for (;;) {
        const x = normal();
        if (Math.abs(x) <= 2) return x * std;
      }
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(uniform() * (i + 1));
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
  };
}
