/**
 * The one module that imports onnxruntime-node. Everything else (export checks, fill-mask, evaluation,
 * the onnxruntime training engine) goes through these helpers, with plain typed arrays in and out.
 *
 * Sessions run on the CPU execution provider with one intra-op thread per core and every graph
 * optimisation on. Feeds are int64 or float32; outputs come back as typed arrays with their dims.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

/** A tensor to feed: int64 ids/masks or float32 values, row-major, with its dims. */
export type Feed = { dtype: 'int64'; data: BigInt64Array; dims: number[] } | { dtype: 'float32'; data: Float32Array; dims: number[] };

/** A fetched output: float32, float64 or int64 data with its dims. */
export interface Fetched {
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array;
}

/** int64 feed from int32 or plain numbers (ids, masks, positions). */
export function int64Feed(data: Int32Array | number[] | BigInt64Array, dims: number[]): Feed {
  const big = data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data, (v) => BigInt(v)));
  return { dtype: 'int64', data: big, dims };
}

/** float32 feed (borrows `data`: onnxruntime reads it during run()). */
export function float32Feed(data: Float32Array, dims: number[]): Feed {
  return { dtype: 'float32', data, dims };
}

export interface SessionOptions {
  /** Intra-op threads (default: GRAFTLR_THREADS, else the number of cores). */
  threads?: number;
  /** Graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * onnxruntime's CPU memory arena (default true). The arena keeps freed blocks for reuse and grows in
   * power-of-two chunks, so large training graphs can hold far more memory than they use at once.
   */
  memoryArena?: boolean;
  /** Pre-planned memory pattern for repeated input shapes (default true). */
  memoryPattern?: boolean;
  /** Graph optimisers to leave out, by onnxruntime's name (e.g. 'CommonSubexpressionElimination'). */
  disabledOptimizers?: readonly string[];
}

/**
 * Intra-op threads when a caller names none: GRAFTLR_THREADS if set (e.g. 1 to run two jobs side by side on two
 * cores without oversubscribing them), else every core. A value that is not a positive integer is refused.
 */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GRAFTLR_THREADS;
  if (raw === undefined || raw === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`GRAFTLR_THREADS=${raw} is invalid: expected a positive integer`);
  return n;
}

/** Describes the engine for the CLI's "which backend runs" line. */
export function ortDescription(options: SessionOptions = {}): string {
  return `onnxruntime-node ${ort.env.versions.node} (cpu, ${options.threads ?? defaultThreads()} threads)`;
}

/** Wraps host arrays as onnxruntime tensors (no copy). */
function toOrtTensors(feeds: Record<string, Feed>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) out[name] = new ort.Tensor(f.dtype, f.data, f.dims);
  return out;
}

/** The named outputs of a run as host arrays; float32, float64 and int64 only. */
function fetched(results: Record<string, ort.Tensor>, names: readonly string[]): Record<string, Fetched> {
  const out: Record<string, Fetched> = {};
  for (const name of names) {
    const t = results[name];
    if (t.type !== 'float32' && t.type !== 'float64' && t.type !== 'int64')
      throw new Error(`output "${name}" has type ${t.type}: expected float32, float64 or int64`);
    out[name] = { dims: [...t.dims], data: t.data as Fetched['data'] };
  }
  return out;
}

export class OrtSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  /**
   * Loads a model from bytes or a file path. `what` names the model in errors (e.g. the file path).
   * Throws a one-line error when onnxruntime cannot load it.
   */
  static async create(model: Uint8Array | string, options: SessionOptions = {}, what = 'the model'): Promise<OrtSession> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.threads ?? defaultThreads(),
      interOpNumThreads: 1,
      graphOptimizationLevel: options.optimization ?? 'all',
      executionMode: 'sequential',
      enableCpuMemArena: options.memoryArena ?? true,
      enableMemPattern: options.memoryPattern ?? true,
      ...(options.disabledOptimizers?.length
        ? { extra: { optimization: { disable_specified_optimizers: options.disabledOptimizers.join(',') } } }
        : {}),
    };
    try {
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, sessionOptions)
          : await ort.InferenceSession.create(model, sessionOptions);
      return new OrtSession(session);
    } catch (e) {
      const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      throw new Error(`onnxruntime could not load ${what}: ${message}`);
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the graph; returns the requested outputs (default: all). Borrows the feed arrays. */
  async run(feeds: Record<string, Feed>, fetch: string[] = [...this.session.outputNames]): Promise<Record<string, Fetched>> {
    const results = await this.session.run(toOrtTensors(feeds), fetch);
    return fetched(results, fetch);
  }

  /**
   * Runs the graph writing the outputs named in `into` straight into the given arrays (onnxruntime fills
   * them in place: no copy, no allocation; their dims must match the outputs), and returns the outputs
   * named in `fetch` as run() does. Borrows the feed and `into` arrays.
   */
  async runInto(feeds: Record<string, Feed>, into: Record<string, Feed>, fetch: string[] = []): Promise<Record<string, Fetched>> {
    const fetches: Record<string, ort.Tensor | null> = { ...toOrtTensors(into) };
    for (const name of fetch) fetches[name] = null;
    const results = await this.session.run(toOrtTensors(feeds), fetches);
    return fetched(results, fetch);
  }

  /** Runs and returns one float32 output. */
  async runFloat(feeds: Record<string, Feed>, output: string): Promise<{ dims: number[]; data: Float32Array }> {
    const r = (await this.run(feeds, [output]))[output];
    if (!(r.data instanceof Float32Array)) throw new Error(`output "${output}" is not float32`);
    return { dims: r.dims, data: r.data };
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
