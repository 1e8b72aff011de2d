/**
 * Child process for checkpoint-stream.test.ts: writes a checkpoint of `MiB` mebibytes of parameters into the
 * folder given on the command line and prints how much its peak resident memory grew while writing.
 */
import { saveCheckpoint } from '../../../src/run/train/checkpoint.js';
import { smallCheckpoint } from '../../fixtures/fixture-checkpoint.js';

const [dir, mib] = process.argv.slice(2);
const size = (Number(mib) * 2 ** 20) / 4;
const c = smallCheckpoint();
c.params = { big: { shape: [size], data: new Float32Array(size).fill(0.5) } };
const peak = () => process.resourceUsage().maxRSS * 1024;
const before = peak();
saveCheckpoint(dir, c);
process.stdout.write(JSON.stringify({ grewBytes: peak() - before }));
