/**
 * The list of commands. Each command lives in its own file in src/cli/ and is added here.
 */
import type { Command } from './command.js';
import { benchCommand } from './bench.js';
import { compareCommand } from './compare.js';
import { compressCommand } from './compress.js';
import { exportScheduleCommand } from './export-schedule.js';
import { extractCommand } from './extract.js';
import { inspectCommand } from './inspect.js';
import { quickstartCommand } from './quickstart.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { fillMaskCommand } from './fill-mask.js';

export function commands(): Command[] {
  return [
    quickstartCommand,
    extractCommand,
    compressCommand,
    inspectCommand,
    trainCommand,
    compareCommand,
    exportScheduleCommand,
    exportCommand,
    fillMaskCommand,
    evalCommand,
    benchCommand,
  ];
}
