/** Small helpers shared by the optimizer tests (cpu backend, tiny tensors). */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { ParamMap } from '../../src/core/params.js';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** name -> flat values (shape [n]) or [values, shape]. */
export function tensors(spec: Record<string, number[] | [number[], number[]]>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, v] of Object.entries(spec)) {
    out[name] = Array.isArray(v[0]) ? tf.tensor(v[0] as number[], v[1] as number[]) : tf.tensor1d(v as number[]);
  }
  return out;
}

/** name -> values as plain numbers. */
export function values(m: ParamMap): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const name of Object.keys(m)) out[name] = Array.from(m[name].dataSync());
  return out;
}

/** |a - b| <= atol + rtol * |b| elementwise, with a readable failure. */
export function expectClose(actual: number[], expected: number[], rtol = 1e-6, atol = 1e-7): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const tol = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(a - expected[i]) <= tol)) {
      throw new Error(`element ${i}: got ${a}, expected ${expected[i]} (tolerance ${tol})`);
    }
  });
}

/** Deterministic pseudo-gradients: g_t[i] = sin(1.3 i + 0.7 t + phase) * scale (reference loops use the same). */
export function gradValue(i: number, t: number, phase = 0, scale = 1): number {
  return Math.sin(1.3 * i + 0.7 * t + phase) * scale;
}

/** A ParamMap of pseudo-gradients with the shapes of `shapes` at step t. */
export function gradsAt(shapes: Record<string, number[]>, t: number): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  Object.entries(shapes).forEach(([name, shape], k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    out[name] = tf.tensor(
      Array.from({ length: n }, (_, i) => gradValue(i, t, k)),
      shape,
    );
  });
  return out;
}
