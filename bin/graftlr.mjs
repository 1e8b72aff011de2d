#!/usr/bin/env node
// Command-line entry: load the TypeScript sources through tsx, then hand over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main, endQuietlyWhenOutputCloses } = await import('../src/cli/main.ts');
endQuietlyWhenOutputCloses();
process.exitCode = await main(process.argv.slice(2));
