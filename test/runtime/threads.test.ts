/** GRAFTLR_THREADS (src/runtime/ort.ts defaultThreads): onnxruntime's intra-op threads when a caller names none. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultThreads } from '../../src/runtime/ort.js';

describe('defaultThreads', () => {
  it('is every core without GRAFTLR_THREADS, else its value', () => {
    expect(defaultThreads({})).toBe(availableParallelism());
    expect(defaultThreads({ GRAFTLR_THREADS: '' })).toBe(availableParallelism());
    expect(defaultThreads({ GRAFTLR_THREADS: '1' })).toBe(1);
    expect(defaultThreads({ GRAFTLR_THREADS: '16' })).toBe(16);
  });

  it('refuses a value that is not a positive integer, in one line', () => {
    for (const bad of ['0', '-2', '1.5', 'two']) {
      expect(() => defaultThreads({ GRAFTLR_THREADS: bad })).toThrow(`GRAFTLR_THREADS=${bad} is invalid: expected a positive integer`);
    }
  });
});
