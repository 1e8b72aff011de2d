/**
 * Small emit helpers over GraphBuilder for the training graph: constants (cached per graph), 2-D dense
 * products through Gemm, reductions with axes as inputs (opset >= 13), and shape plumbing.
 * Every helper returns the name of the value it adds.
 */
import { attr, tensorProto, type GraphBuilder } from '../../formats/onnx-builder.js';

const FLOAT = 1;

/** A GraphBuilder plus a cache of small constants, so each constant appears once in the graph. */
export class Emitter {
  private readonly cache = new Map<string, string>();

  constructor(readonly g: GraphBuilder) {}

  /** A float32 scalar constant (shape []). */
  scalar(value: number): string {
    return this.cached(`f:${value}`, () => this.g.constant('float32', [], [value], 'c'));
  }

  /** An int64 1-D constant (shapes, axes, pads). */
  ints(values: number[]): string {
    return this.cached(`i:${values.join(',')}`, () => this.g.constant('int64', [values.length], values, 'ci'));
  }

  /** An int64 scalar constant (an index for Gather that drops the axis). */
  index(value: number): string {
    return this.cached(`s:${value}`, () => this.g.constant('int64', [], [value], 'cs'));
  }

  private cached(key: string, make: () => string): string {
    let name = this.cache.get(key);
    if (name === undefined) {
      name = make();
      this.cache.set(key, name);
    }
    return name;
  }

  op(type: string, inputs: string[], hint: string, attrs: Parameters<GraphBuilder['op']>[2] = {}): string {
    return this.g.op(type, inputs, attrs, hint);
  }

  add(a: string, b: string, hint: string): string {
    return this.op('Add', [a, b], hint);
  }
  sub(a: string, b: string, hint: string): string {
    return this.op('Sub', [a, b], hint);
  }
  mul(a: string, b: string, hint: string): string {
    return this.op('Mul', [a, b], hint);
  }

  /** Y = alpha op(A) @ op(B) (+ C), op = transpose when the flag is set. A and B are 2-D; alpha defaults to 1. */
  gemm(a: string, b: string, hint: string, o: { transA?: boolean; transB?: boolean; bias?: string; alpha?: number } = {}): string {
    const inputs = o.bias === undefined ? [a, b] : [a, b, o.bias];
    const attrs: Record<string, ReturnType<typeof attr.int>> = { transA: attr.int(o.transA ? 1 : 0), transB: attr.int(o.transB ? 1 : 0) };
    if (o.alpha !== undefined) attrs.alpha = attr.float(o.alpha);
    return this.op('Gemm', inputs, hint, attrs);
  }

  matmul(a: string, b: string, hint: string): string {
    return this.op('MatMul', [a, b], hint);
  }

  /**
   * Column sums of a 2-D x (M, n) -> (n), as ones(1, M) @ x: a GEMM reads x once with all threads, where
   * ReduceSum over axis 0 is several times slower. `rows` names the row count (e.g. 'BT', 'N') so
   * the ones vector is made once per distinct M.
   */
  sumRows(x: string, rows: string, hint: string): string {
    const ones = this.cached(`ones:${rows}`, () => {
      const shape = this.concat([this.ints([1]), this.shape(x, `ones_${rows}.m`, 0, 1)], 0, `ones_${rows}.shape`); // [1, M]
      return this.filled(shape, 1, `ones_${rows}`); // (1, M)
    });
    return this.reshape(this.matmul(ones, x, `${hint}.row_sum`), [-1], hint); // (n)
  }

  /** Sum over `axes`; keepdims as given (default: drop the axes). */
  reduceSum(x: string, axes: number[], hint: string, keepdims = false): string {
    return this.op('ReduceSum', [x, this.ints(axes)], hint, { keepdims: attr.int(keepdims ? 1 : 0) });
  }

  reduceMean(x: string, axes: number[], hint: string, keepdims = false): string {
    return this.op('ReduceMean', [x, this.ints(axes)], hint, { keepdims: attr.int(keepdims ? 1 : 0) });
  }

  reshape(x: string, shape: number[] | string, hint: string): string {
    return this.op('Reshape', [x, typeof shape === 'string' ? shape : this.ints(shape)], hint);
  }

  transpose(x: string, perm: number[], hint: string): string {
    return this.op('Transpose', [x], hint, { perm: attr.ints(perm) });
  }

  unsqueeze(x: string, axes: number[], hint: string): string {
    return this.op('Unsqueeze', [x, this.ints(axes)], hint);
  }
  squeeze(x: string, axes: number[], hint: string): string {
    return this.op('Squeeze', [x, this.ints(axes)], hint);
  }

  concat(xs: string[], axis: number, hint: string): string {
    return this.op('Concat', xs, hint, { axis: attr.int(axis) });
  }

  /** Splits x along `axis` into pieces of the given sizes. */
  split(x: string, axis: number, sizes: number[], hint: string): string[] {
    return this.g.node('Split', [x, this.ints(sizes)], { outputs: sizes.length, attrs: { axis: attr.int(axis) }, hint });
  }

  /** A float32 tensor of `value` with the runtime shape `shape` (an int64 1-D value). */
  filled(shape: string, value: number, hint: string): string {
    return this.op('ConstantOfShape', [shape], hint, { value: attr.tensor(tensorProto(`${hint}.value`, 'float32', [1], [value])) });
  }

  /** The runtime shape of x (int64 1-D), optionally a [start, end) slice of it. */
  shape(x: string, hint: string, start?: number, end?: number): string {
    const attrs: Record<string, ReturnType<typeof attr.int>> = {};
    if (start !== undefined) attrs.start = attr.int(start);
    if (end !== undefined) attrs.end = attr.int(end);
    return this.op('Shape', [x], hint, attrs);
  }

  /** int -> float32. */
  toFloat(x: string, hint: string): string {
    return this.op('Cast', [x], hint, { to: attr.int(FLOAT) });
  }

  /**
   * base + scatter-add of `rows` (N, H) at row `ids` (N, 1, int64): out[ids[i]] += rows[i], deterministic.
   * onnxruntime's CPU ScatterND with reduction "add" races on duplicate indices when it runs on several
   * threads (lost updates, measured), so duplicates are summed first by a product with a one-hot matrix:
   *   (uniq (U), inverse (N)) = Unique(ids),  S = onehot(inverse)^T @ rows  (U, H),  out = ScatterND(base, uniq, S, add)
   * and the final scatter sees every row index once.
   */
  scatterAddRows(base: string, ids: string, rows: string, hint: string): string {
    const flat = this.reshape(ids, [-1], `${hint}.ids`); // (N)
    const [uniq, , inverse] = this.g.node('Unique', [flat], { outputs: 4, attrs: { sorted: attr.int(1) }, hint: `${hint}.unique` }); // (U), (U), (N), (U)
    const count = this.shape(uniq, `${hint}.u`); // [U]
    const slots = this.op('Range', [this.index(0), this.squeeze(count, [0], `${hint}.u_scalar`), this.index(1)], `${hint}.slots`); // (U)
    const oneHotT = this.toFloat(
      this.op(
        'Equal',
        [this.unsqueeze(slots, [1], `${hint}.slots_col`), this.unsqueeze(inverse, [0], `${hint}.inverse_row`)],
        `${hint}.match`,
      ),
      `${hint}.onehot_t`,
    ); // (U, N)
    const sums = this.matmul(oneHotT, rows, `${hint}.sums`); // (U, H)
    return this.op('ScatterND', [base, this.unsqueeze(uniq, [1], `${hint}.uniq_col`), sums], hint, { reduction: attr.string('add') }); // like base
  }
}
