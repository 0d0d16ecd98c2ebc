#!/usr/bin/env node
// Executable entry point (package.json "bin").
import { main } from './main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
