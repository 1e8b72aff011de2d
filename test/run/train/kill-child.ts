/**
 * Child process of kill.test.ts: trains the tiny setup into argv[2], checkpointing after every step,
 * until the parent kills it with SIGKILL.
 */
import { runTraining } from '../../../src/run/train/run.js';
import { tinySetup } from './tiny.js';

const { base } = await tinySetup();
await runTraining({
  ...base,
  optimizer: 'adam',
  steps: Number(process.argv[3]),
  evalEvery: 0,
  checkpointEvery: 1,
  outDir: process.argv[2],
});
