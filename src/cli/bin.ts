#!/usr/bin/env node
// Executable entry point (package.json "bin").
import { main } from './main.js';

// A reader that stops early (`| head`) closes the pipe: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
