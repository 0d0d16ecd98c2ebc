// Writes that never leave a half-written file behind: write a sibling temp file, fsync, rename.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

function tempSibling(path: string): string {
  return join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
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
  await mkdir(dirname(path), { recursive: true });
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

/**
 * Build a whole directory next to its destination, then swap it in, so a reader never
 * sees a partial directory. `fill` writes into the staging directory it is given.
 */
export async function writeDirAtomic(
  path: string,
  fill: (stagingDir: string) => Promise<void>,
): Promise<void> {
  const staging = `${path}.${randomBytes(6).toString('hex')}.partial`;
  await mkdir(staging, { recursive: true });
  try {
    await fill(staging);
    await rm(path, { recursive: true, force: true });
    await rename(staging, path);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
