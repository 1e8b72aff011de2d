/**
 * Two small kernels for the wasm backend (tfjs-backend-wasm 4.22) and the ops that use them.
 *
 * - `UnsortedSegmentSum` is missing from the wasm backend, and it is the gradient of `tf.gather`.
 *   Registered here via the backend's own `ScatterNd` kernel (which adds duplicate indices):
 *   out[s, :] = sum over i with ids[i] = s of x[i, :].
 * - `GraftlrSplitRows` splits (n*r, ...) into n contiguous (r, ...) blocks in one pass. The wasm
 *   `Slice`/`SplitV` kernels copy the *whole* input out of the heap once per output block, which made
 *   per-head attention 10x slower than its matmuls. Other backends use `tf.split`.
 *
 * The backend objects are typed structurally: this file does not import any backend package.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}
/** The part of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  readSync(dataId: object): ArrayLike<number>;
}

export const SPLIT_ROWS = 'GraftlrSplitRows';

function unsortedSegmentSumWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x as TensorInfo;
  const ids = args.inputs.segmentIds as TensorInfo;
  const numSegments = args.attrs.numSegments as number;
  const n = ids.shape.reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(ids.shape.length);
  const idValues = backend.readSync(ids.dataId);
  for (let i = 0; i < n; i++) {
    if (!(idValues[i] >= 0 && idValues[i] < numSegments)) {
      throw new Error(`unsortedSegmentSum: segment id ${idValues[i]} is outside [0, ${numSegments})`);
    }
  }
  const scatter = tf.getKernel('ScatterNd', 'wasm');
  if (!scatter) throw new Error('the wasm backend has no ScatterNd kernel: unsortedSegmentSum cannot be registered');
  // Same data, viewed as indices (n, 1) and updates (n, ...rest).
  const indices: TensorInfo = { dataId: ids.dataId, shape: [n, 1], dtype: 'int32' };
  const updates: TensorInfo = { dataId: x.dataId, shape: [n, ...rest], dtype: x.dtype };
  return scatter.kernelFunc({
    inputs: { indices, updates } as unknown as tf.NamedTensorInfoMap,
    backend: args.backend as tf.KernelBackend,
    attrs: { shape: [numSegments, ...rest] },
  }) as TensorInfo;
}

function splitRowsWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap }): TensorInfo[] {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x as TensorInfo;
  const n = args.attrs.numBlocks as number;
  const blockShape = [x.shape[0] / n, ...x.shape.slice(1)];
  const blockSize = blockShape.reduce((a, b) => a * b, 1);
  const outs: TensorInfo[] = [];
  for (let i = 0; i < n; i++) outs.push(backend.makeOutput(blockShape, x.dtype));
  // Views are taken after all allocations: growing the heap detaches earlier views.
  const src = backend.typedArrayFromHeap(x);
  for (let i = 0; i < n; i++) backend.typedArrayFromHeap(outs[i]).set(src.subarray(i * blockSize, (i + 1) * blockSize));
  return outs;
}

/** Registers the kernels above for the wasm backend (idempotent). */
export function registerGraftlrKernels(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') === undefined) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as tf.KernelFunc });
  }
  if (tf.getKernel(SPLIT_ROWS, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: SPLIT_ROWS, backendName: 'wasm', kernelFunc: splitRowsWasm as unknown as tf.KernelFunc });
  }
}

/**
 * Splits x (n*r, ...) into n blocks (r, ...) along axis 0. Not differentiable (used inside custom
 * gradients only). Borrows x; the blocks are new tensors.
 */
export function splitRows(x: tf.Tensor, n: number): tf.Tensor[] {
  if (x.shape[0] % n !== 0) throw new Error(`splitRows: ${x.shape[0]} rows do not split into ${n} blocks`);
  if (tf.getBackend() === 'wasm' && tf.getKernel(SPLIT_ROWS, 'wasm') !== undefined) {
    return tf.engine().runKernel(SPLIT_ROWS, { x }, { numBlocks: n }) as unknown as tf.Tensor[];
  }
  return tf.split(x, n, 0);
}

/**
 * Transpose of a 2-D tensor (R, C) -> (C, R). Not differentiable (used inside custom gradients).
 * On wasm, a tall matrix is transposed in two cache-friendly steps, ~5x faster than one Transpose:
 * (R/b, b, C) -[0,2,1]-> (R/b, C, b) -[1,0,2]-> (C, R/b, b), with b = 128, 64 or 32 dividing R.
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [R, C] = x.shape;
  const b = [128, 64, 32].find((size) => R % size === 0 && R > size);
  if (tf.getBackend() !== 'wasm' || R < C || b === undefined) return tf.transpose(x);
  return tf.tidy(() => {
    const blocks = tf.transpose(tf.reshape(x, [R / b, b, C]), [0, 2, 1]); // (R/b, C, b)
    return tf.reshape(tf.transpose(blocks, [1, 0, 2]), [C, R]) as tf.Tensor2D; // (C, R/b, b) = (C, R)
  });
}
