/**
 * The only module that loads TensorFlow.js backends.
 *
 * Order of preference: `tensorflow` (native libtensorflow from @tensorflow/tfjs-node-gpu, then
 * @tensorflow/tfjs-node; both optional and usually absent) > `wasm` > `cpu` (pure JS, slow but exact).
 * initBackend also registers every gradient of tfjs-core (the core package alone registers none), a
 * wasm kernel for UnsortedSegmentSum (the gradient of `gather`, missing from tfjs-backend-wasm 4.22) and
 * the row-block split kernel the attention code uses (see kernels.ts). It is safe to call repeatedly and
 * to switch backends between calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { registerGraftlrKernels } from './kernels.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const backendNames: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  /** The tfjs backend now active: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** One line: why this backend (and why the better ones were not used). */
  reason: string;
}

/** Runs `load`; returns undefined on success or a short reason on failure. */
type Loader = () => Promise<string | undefined>;

const loaders: Record<BackendName, Loader> = { tensorflow: loadTensorflow, wasm: loadWasm, cpu: loadCpu };

/**
 * Picks and activates a backend. With `prefer`, only that backend is tried and a failure throws;
 * without it, the first of tensorflow > wasm > cpu that loads wins and `reason` says what was skipped.
 */
export async function initBackend(opts: { prefer?: BackendName } = {}): Promise<BackendChoice> {
  await registerAllGradients();
  const { prefer } = opts;
  if (prefer !== undefined) {
    if (!backendNames.includes(prefer)) {
      throw new Error(`backend "${prefer}" is unknown: choose one of ${backendNames.join(', ')}`);
    }
    const failure = await loaders[prefer]();
    if (failure !== undefined) throw new Error(`backend "${prefer}" cannot be used: ${failure}`);
    return { name: tf.getBackend(), reason: `${prefer} requested` };
  }
  const skipped: string[] = [];
  for (const name of backendNames) {
    const failure = await loaders[name]();
    if (failure === undefined) {
      const reason = skipped.length ? `${skipped.join('; ')}; using ${name}` : `${name} is the fastest available`;
      return { name: tf.getBackend(), reason };
    }
    skipped.push(`${name} unavailable (${failure})`);
  }
  throw new Error(`no tfjs backend could be started: ${skipped.join('; ')}`);
}

async function activate(name: string): Promise<string | undefined> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok) return `tf.setBackend('${name}') failed`;
    tf.enableProdMode(); // library code never prints: silences tfjs's console hints
    registerGraftlrKernels();
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/** Native TensorFlow: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (optional dependencies). */
async function loadTensorflow(): Promise<string | undefined> {
  if (tf.findBackendFactory('tensorflow') === null) {
    const missing: string[] = [];
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(pkg);
        break;
      } catch (e) {
        const code = (e as { code?: string }).code;
        missing.push(code === 'ERR_MODULE_NOT_FOUND' ? `${pkg} not installed` : `${pkg}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (tf.findBackendFactory('tensorflow') === null) return missing.join(', ');
  }
  return activate('tensorflow');
}

let wasmPathSet = false;

/** WebAssembly (one thread under Node). The .wasm binaries ship in the package's dist folder. */
async function loadWasm(): Promise<string | undefined> {
  if (!wasmPathSet) {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
    setWasmPaths(dist);
    wasmPathSet = true;
  }
  // The Emscripten loader installs process-wide handlers that re-throw every uncaught error from inside
  // its own minified source; remove the ones it adds so errors surface normally.
  const before = { u: process.listeners('uncaughtException'), r: process.listeners('unhandledRejection') };
  const failure = await activate('wasm');
  for (const l of process.listeners('uncaughtException')) if (!before.u.includes(l)) process.removeListener('uncaughtException', l);
  for (const l of process.listeners('unhandledRejection')) if (!before.r.includes(l)) process.removeListener('unhandledRejection', l);
  return failure;
}

async function loadCpu(): Promise<string | undefined> {
  return activate('cpu');
}

let gradientsRegistered = false;

/**
 * Registers tfjs-core's gradient functions. They ship only as ES modules with extension-less relative
 * imports, which Node's own loader rejects; a resolve hook limited to files inside tfjs-core's dist
 * folder adds the `.js` (bundlers and vitest resolve them without it).
 */
async function registerAllGradients(): Promise<void> {
  if (gradientsRegistered || tf.getGradient('Exp') !== undefined) {
    gradientsRegistered = true;
    return;
  }
  register(`data:text/javascript,${encodeURIComponent(resolveHookSource)}`);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
  gradientsRegistered = true;
}

const resolveHookSource = `
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if (parent.includes('/@tensorflow/tfjs-core/dist/') && specifier.startsWith('.') && !specifier.endsWith('.js')) {
    for (const candidate of [specifier + '.js', specifier + '/index.js']) {
      const url = new URL(candidate, parent);
      if (existsSync(fileURLToPath(url))) return { url: url.href, format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, context);
}`;

/** Test helper: the kernel names the active backend lacks among `names`. */
export function missingKernels(names: string[]): string[] {
  const backend = tf.getBackend();
  return names.filter((k) => tf.getKernel(k, backend) === undefined);
}
