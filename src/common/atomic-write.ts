// Writes that never leave a half-written file behind: write a sibling temp file, fsync, rename.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { InvalidInputError } from './errors.js';

function tempSibling(path: string): string {
  return join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EEXIST: 'a file is in the way of a folder',
  ENOENT: 'its folder cannot hold new entries',
  ENAMETOOLONG: 'the name is too long',
  ENOTEMPTY: 'a folder is in the way',
};

/**
 * The folders of `dir` that do not exist yet, outermost first. Created one level at a time, not
 * with mkdir's `recursive`, which in Node 20 loops forever where an existing folder refuses new
 * entries with ENOENT (e.g. under /proc).
 */
function missingFolders(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  return missing;
}

function makeFoldersUnchecked(dir: string): void {
  for (const d of missingFolders(dir)) mkdirSync(d);
}

/** Create `dir` and its missing parents; a failure is one line naming the folder. */
export function makeFoldersSync(dir: string): void {
  try {
    makeFoldersUnchecked(dir);
  } catch (error) {
    throw writeError(dir, error);
  }
}

/** A failed write to a path the user chose is their problem to fix: one line, not a crash. */
function writeError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? FS_REASONS[code] : undefined;
  return reason
    ? new InvalidInputError(`cannot write ${path}: ${reason} (${code}); choose another path`)
    : error;
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomicSyncUnchecked(path, data);
  } catch (error) {
    throw writeError(path, error);
  }
}

function writeFileAtomicSyncUnchecked(path: string, data: string | Uint8Array): void {
  makeFoldersUnchecked(dirname(path));
  const tmp = tempSibling(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomicUnchecked(path, data);
  } catch (error) {
    throw writeError(path, error);
  }
}

async function writeFileAtomicUnchecked(path: string, data: string | Uint8Array): Promise<void> {
  makeFoldersUnchecked(dirname(path));
  const tmp = tempSibling(path);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Marks a folder that `writeDirAtomic` wrote, so a later save may replace it whole. */
export const WRITTEN_DIR_MARKER = '.inferplan-output';

/**
 * Whether `path` may be replaced by a new output folder: absent, an empty folder, or one this tool
 * wrote before (it holds the marker). Anything else is the user's and is never deleted.
 */
function checkReplaceable(path: string): void {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw writeError(path, error);
  }
  if (!stat.isDirectory()) {
    throw new InvalidInputError(`cannot write folder ${path}: a file is in the way; choose another path`);
  }
  const full = resolve(path);
  const cwd = process.cwd();
  if (cwd === full || cwd.startsWith(full.endsWith(sep) ? full : full + sep)) {
    throw new InvalidInputError(`cannot replace ${path}: it holds the current folder; choose a new folder`);
  }
  const entries = readdirSync(path);
  if (entries.length > 0 && !entries.includes(WRITTEN_DIR_MARKER)) {
    throw new InvalidInputError(
      `${path} already holds files inferplan did not write (${entries.length} entries); choose a new or empty folder`,
    );
  }
}

/**
 * Build a whole directory next to its destination, then swap it in, so a reader never sees a
 * partial directory. `fill` writes into the staging directory it is given. An existing destination
 * is replaced only if it is empty or was written by this function (see WRITTEN_DIR_MARKER), and
 * it is moved aside before the swap, so a failed swap puts it back.
 */
export async function writeDirAtomic(
  path: string,
  fill: (stagingDir: string) => Promise<void>,
): Promise<void> {
  checkReplaceable(path);
  const suffix = randomBytes(6).toString('hex');
  const staging = `${path}.${suffix}.partial`;
  try {
    makeFoldersUnchecked(staging);
  } catch (error) {
    throw writeError(path, error);
  }
  try {
    await fill(staging);
    await writeFile(
      join(staging, WRITTEN_DIR_MARKER),
      'Written by inferplan. The next save to this folder replaces it whole.\n',
    );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const previous = existsSync(path) ? `${path}.${suffix}.old` : undefined;
  try {
    if (previous) await rename(path, previous);
    try {
      await rename(staging, path);
    } catch (error) {
      if (previous) await rename(previous, path);
      throw error;
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw writeError(path, error);
  }
  if (previous) await rm(previous, { recursive: true, force: true });
}
