#!/usr/bin/env node
// Runs one TypeScript file from scripts/ with the remaining arguments: node bin/run-script.mjs scripts/x.ts ...
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register();
const [script, ...rest] = process.argv.slice(2);
if (!script) {
  console.error('usage: node bin/run-script.mjs scripts/<name>.ts [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], script, ...rest];
await import(pathToFileURL(resolve(script)).href);
