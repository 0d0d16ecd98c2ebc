// Top-level error handling shared by every command: user mistakes print one line and exit
// with their code; anything else is a bug, reported briefly (stack only with --debug).
import picocolors from 'picocolors';
import { EXIT_CODES, InferplanError } from '../common/index.js';

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

const FS_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

const SYSCALL_VERBS: Readonly<Record<string, string>> = {
  scandir: 'list the folder',
  open: 'open',
  read: 'read',
  stat: 'read',
  lstat: 'read',
  mkdir: 'create the folder',
  rename: 'rename',
  rmdir: 'remove',
  unlink: 'remove',
  write: 'write',
};

/**
 * A file-system error on a path the user gave (a folder that is a file, a name too long) that no
 * command turned into its own message: still the user's to fix, so one line naming the path.
 */
function fileSystemProblem(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  const reason = e?.code ? FS_PROBLEMS[e.code] : undefined;
  if (!reason || typeof e?.path !== 'string') return undefined;
  const verb = (e.syscall && SYSCALL_VERBS[e.syscall]) ?? 'use';
  return `cannot ${verb} ${e.path}: ${reason} (${e.code}); check the path`;
}

export function reportError(error: unknown, debug: boolean): number {
  const pc = errorColors();
  if (error instanceof InferplanError) {
    process.stderr.write(`${pc.red('error:')} ${error.message}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const fsProblem = fileSystemProblem(error);
  if (fsProblem) {
    process.stderr.write(`${pc.red('error:')} ${fsProblem}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_CODES.invalidInput;
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
