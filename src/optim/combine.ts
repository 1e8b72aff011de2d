/**
 * Combinators: `chain` runs blocks one after another; `partition` gives each labelled subset of the
 * parameters its own optimizer. (Grafting, the third combinator, is in graft.ts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../core/params.js';
import { tidyUpdate, type Optimizer, type OptimizerSpec, type StateOf, type Updates } from './base.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyOptimizer = Optimizer<any>;

/** The state of a chain: the inner states, in order. */
export type ChainState<T extends readonly AnyOptimizer[]> = { readonly [K in keyof T]: StateOf<T[K]> };

function specOf(o: AnyOptimizer): OptimizerSpec {
  return o.spec ?? { name: 'custom' };
}

/**
 * u = f_k(... f_2(f_1(g))): each block transforms the previous block's output; every block sees the
 * same params. The state is the array of the blocks' states.
 */
export function chain<T extends readonly AnyOptimizer[]>(...blocks: T): Optimizer<ChainState<T>> {
  return {
    spec: { name: 'chain', blocks: blocks.map(specOf) },
    init: (params) => blocks.map((b) => b.init(params)) as unknown as ChainState<T>,
    update(grads, state, params) {
      return tidyUpdate([grads, state, params], () => {
        let u: ParamMap = grads;
        const next: unknown[] = [];
        blocks.forEach((block, i) => {
          const [out, s] = block.update(u, state[i], params);
          // The previous block's output is no longer needed (never the borrowed grads).
          if (u !== grads) for (const t of Object.values(u)) t.dispose();
          u = out;
          next.push(s);
        });
        return [{ ...u }, next as unknown as ChainState<T>];
      });
    },
  };
}

/** The state of a partition: label -> that optimizer's state. */
export type PartitionState<T extends Record<string, AnyOptimizer>> = { readonly [K in keyof T]: StateOf<T[K]> };

/** Splits a map by label; throws if a label has no optimizer. Borrows the tensors. */
function splitByLabel(p: ParamMap, labelOf: (name: string) => string, labels: string[]): Record<string, Record<string, tf.Tensor>> {
  const parts: Record<string, Record<string, tf.Tensor>> = {};
  for (const label of labels) parts[label] = {};
  for (const name of Object.keys(p)) {
    const label = labelOf(name);
    if (!(label in parts)) {
      throw new Error(
        `partition: parameter "${name}" has label "${label}", which has no optimizer; give one for each of: ${labels.join(', ')} or change labelOf`,
      );
    }
    parts[label][name] = p[name];
  }
  return parts;
}

/**
 * Each parameter n is updated by `optimizers[labelOf(n)]` alone. Every label gets its own state,
 * initialised on its subset of the parameters (possibly empty).
 */
export function partition<T extends Record<string, AnyOptimizer>>(
  labelOf: (name: string) => string,
  optimizers: T,
): Optimizer<PartitionState<T>> {
  const labels = Object.keys(optimizers);
  const specs: Record<string, OptimizerSpec> = {};
  for (const label of labels) specs[label] = specOf(optimizers[label]);
  return {
    spec: { name: 'partition', optimizers: specs },
    init(params) {
      const parts = splitByLabel(params, labelOf, labels);
      const state: Record<string, unknown> = {};
      for (const label of labels) state[label] = optimizers[label].init(parts[label]);
      return state as PartitionState<T>;
    },
    update(grads, state, params) {
      const gradParts = splitByLabel(grads, labelOf, labels);
      const paramParts = params ? splitByLabel(params, labelOf, labels) : undefined;
      return tidyUpdate([grads, state, params], () => {
        const updates: Updates = {};
        const next: Record<string, unknown> = {};
        for (const label of labels) {
          const [u, s] = optimizers[label].update(gradParts[label], state[label], paramParts?.[label]);
          Object.assign(updates, u);
          next[label] = s;
        }
        return [updates, next as PartitionState<T>];
      });
    },
  };
}
