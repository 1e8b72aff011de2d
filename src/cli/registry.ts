/**
 * The list of commands. Each command lives in its own file in src/cli/ and is added here.
 */
import type { Command } from './command.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { fillMaskCommand } from './fill-mask.js';

export function commands(): Command[] {
  return [exportCommand, fillMaskCommand, evalCommand];
}
