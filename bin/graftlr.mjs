#!/usr/bin/env node
// Command-line entry. Runs the built CLI (dist/cli/main.js) with plain Node. In a checkout whose dist/ is
// missing or older than a file in src/ (edited since the last `npm run build`), it runs the TypeScript
// sources through tsx instead, so the command always runs the code as it is now.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/cli/main.js`;
const source = `${root}src`;

/** The newest modification time (ms) of the files under `dir`. */
function newestIn(dir) {
  let newest = 0;
  for (const name of readdirSync(dir, { recursive: true })) newest = Math.max(newest, statSync(`${dir}/${name}`).mtimeMs);
  return newest;
}

const builtIsCurrent = existsSync(built) && (!existsSync(source) || newestIn(source) <= statSync(built).mtimeMs);
let cli;
if (builtIsCurrent) {
  cli = await import(new URL('../dist/cli/main.js', import.meta.url).href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error(
      'graftlr: dist/ is missing or out of date and tsx is not installed: run `npm install` (it builds dist/) or `npm run build`',
    );
    process.exit(1);
  }
  register();
  cli = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
cli.endQuietlyWhenOutputCloses();
process.exitCode = await cli.main(process.argv.slice(2));
