/**
 * Child process for file-set.test.ts: writes the files named on the command line together, with new
 * contents "new <n>", and kills itself with SIGKILL while staging the second one, after the first is
 * already written in full: what `kill -9` during `graftlr export --safetensors` does.
 */
import * as fs from 'node:fs';
import { writeFilesTogether } from '../../src/formats/file-set.js';

const targets = process.argv.slice(2);
let staged = 0;
writeFilesTogether(Object.fromEntries(targets.map((t, i) => [t, `new ${i}`])), {
  writeNewFileSynced: (file, data) => {
    if (++staged === 2) process.kill(process.pid, 'SIGKILL');
    fs.writeFileSync(file, data, { flag: 'wx' });
  },
  renameSync: fs.renameSync,
  rmSync: fs.rmSync,
});
