/**
 * In-place updates inside one onnxruntime run. The training step graphs can write a parameter's new value
 * straight into the array that holds the parameter (its `new.<param>` output bound to the same memory as
 * its input), so no second set of parameters exists. That is only sound when the node writing the new
 * value runs after every node that reads the old one.
 *
 * A node that the update already depends on (an ancestor of it) runs before it by construction. Every
 * other reader of the parameter (the backward product dx = dy W^T of a dense layer, the tied output
 * projection's backward for the word embeddings, ...) gets an explicit data dependency here: the update's
 * learning rate is added a zero computed from one element of that reader's output,
 *
 *   gate = float(x > +Infinity)      x = first element of the reader's output;  always 0, NaN included
 *   rate' = rate + gate              exactly rate
 *
 * so onnxruntime must run the reader first. The gate reads one element, so its cost is nil, and it
 * cannot be folded away (it depends on run-time data). Readers are followed through view ops (Reshape,
 * Identity, Squeeze, Unsqueeze, Flatten), whose outputs share the parameter's memory.
 */
import type { GraphBuilder } from '../../formats/onnx-builder.js';
import type { Emitter } from './ops.js';

const VIEW_OPS = new Set(['Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten']);

/** value -> the index of the node producing it, and value -> the indices of the nodes reading it. */
interface Edges {
  producer: Map<string, number>;
  readers: Map<string, number[]>;
}

function edges(g: GraphBuilder): Edges {
  const producer = new Map<string, number>();
  const readers = new Map<string, number[]>();
  g.nodeList.forEach((node, i) => {
    for (const out of node.output ?? []) producer.set(out, i);
    for (const input of node.input ?? []) {
      if (input === '') continue;
      const list = readers.get(input);
      if (list) list.push(i);
      else readers.set(input, [i]);
    }
  });
  return { producer, readers };
}

/** Indices of the nodes `value` depends on (its producer and everything upstream). */
function ancestors(x: Edges, g: GraphBuilder, value: string): Set<number> {
  const seen = new Set<number>();
  const stack = [value];
  while (stack.length > 0) {
    const i = x.producer.get(stack.pop()!);
    if (i === undefined || seen.has(i)) continue;
    seen.add(i);
    for (const input of g.nodeList[i].input ?? []) if (input !== '') stack.push(input);
  }
  return seen;
}

/** Indices of the nodes that read `param`'s memory: direct readers, and readers of views of it. */
function memoryReaders(x: Edges, g: GraphBuilder, param: string): number[] {
  const out: number[] = [];
  const stack = [param];
  const seen = new Set<number>();
  while (stack.length > 0) {
    for (const i of x.readers.get(stack.pop()!) ?? []) {
      if (seen.has(i)) continue;
      seen.add(i);
      const node = g.nodeList[i];
      if (VIEW_OPS.has(node.opType ?? '')) stack.push(...(node.output ?? []));
      else out.push(i);
    }
  }
  return out;
}

/**
 * The in-place ordering of a graph whose forward and backward passes are emitted: a function that makes
 * `rate` (a scalar value the update of `param` depends on) also depend on every reader of `param` that
 * `update` (the value computed from the old parameter, e.g. the step) does not already depend on, and returns
 * the gated rate (exactly `rate`). The readers and producers are indexed once, here: call it before the
 * updates are emitted (the nodes added later read other values than the parameters' old ones).
 */
export function afterEveryReader(e: Emitter): (param: string, update: string, rate: string) => string {
  const x = edges(e.g);
  return (param, update, rate) => {
    const before = ancestors(x, e.g, update);
    let gated = rate;
    for (const i of memoryReaders(x, e.g, param)) {
      if (before.has(i)) continue;
      const out = e.g.nodeList[i].output![0];
      const first = e.op('Slice', [e.reshape(out, [-1], 'inplace.flat'), e.ints([0]), e.ints([1])], 'inplace.first'); // (1)
      const zero = e.toFloat(e.op('Greater', [e.toFloat(first, 'inplace.as_float'), e.scalar(Infinity)], 'inplace.never'), 'inplace.zero'); // (1) = 0
      gated = e.op('Add', [gated, e.squeeze(zero, [0], 'inplace.zero0')], 'inplace.rate'); // () = rate
    }
    return gated;
  };
}
