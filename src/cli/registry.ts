/**
 * The list of commands. Each command lives in its own file in src/cli/ and is added here.
 */
import type { Command } from './command.js';

export function commands(): Command[] {
  return [];
}
