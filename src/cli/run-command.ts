// Top-level error handling shared by every command: user mistakes print one line and exit
// with their code; anything else is a bug, reported briefly (stack only with --debug).
import picocolors from 'picocolors';
import { InferplanError } from '../common/index.js';

export interface GlobalOptions {
  readonly json: boolean;
  readonly debug: boolean;
}

// Colour only on a terminal: picocolors also turns it on when CI is set, which puts escape codes
// into logs and into anything that parses the one-line error.
function errorColors() {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return picocolors.createColors(force !== '0' && force !== 'false');
  return picocolors.createColors(process.stderr.isTTY === true && process.env.NO_COLOR === undefined);
}

export function reportError(error: unknown, debug: boolean): number {
  const pc = errorColors();
  if (error instanceof InferplanError) {
    process.stderr.write(`${pc.red('error:')} ${error.message}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${pc.red('internal error:')} ${message}\n`);
  process.stderr.write(
    'This is a bug in inferplan; please report it with the command you ran (add --debug for details).\n',
  );
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 1;
}

/** Print a value as JSON (for --json) with a trailing newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
