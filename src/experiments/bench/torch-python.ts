/**
 * Running PyTorch beside graftlr, for the benchmarks and the scripts that compare against it: which python3
 * imports torch, and the environment it runs in.
 */
import { execFileSync } from 'node:child_process';

/**
 * The environment of a PyTorch job: this process's, without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (they pin
 * an older OpenBLAS kernel on some machines), so OpenBLAS runs the kernel its CPU supports.
 */
export function torchEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** The given python, or the first of `python3` and the system one, that imports torch; undefined if none does. */
export function findTorchPython(given?: string): string | undefined {
  for (const python of given ? [given] : ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', env: torchEnv() });
      return python;
    } catch {
      /* try the next */
    }
  }
  return undefined;
}
