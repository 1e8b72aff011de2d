/** Finding a python3 that imports torch, for the scripts that compare against PyTorch. */
import { execFileSync } from 'node:child_process';

/** A python3 that imports torch (`python3` first, then the system one), or undefined. */
export function findTorchPython(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
      return python;
    } catch { /* try the next */ }
  }
  return undefined;
}
