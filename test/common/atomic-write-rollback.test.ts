// The swap step of writeDirAtomic failing after the old save was moved aside: the old save must
// come back whole and nothing staged may be left beside it. The failure is injected by wrapping
// node:fs/promises' rename (this file only), since a real file system will not fail on cue.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const failing = vi.hoisted(() => ({ renameTo: undefined as string | undefined }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof actual.rename = async (from, to) => {
    if (
      failing.renameTo !== undefined &&
      String(to) === failing.renameTo &&
      String(from).endsWith('.partial')
    ) {
      throw Object.assign(new Error(`EXDEV: injected, rename '${String(from)}'`), { code: 'EXDEV' });
    }
    return actual.rename(from, to);
  };
  return { ...actual, rename, default: { ...actual, rename } };
});

const { writeDirAtomic } = await import('../../src/common/index.js');

afterEach(() => {
  failing.renameTo = undefined;
});

describe('writeDirAtomic when the swap fails', () => {
  it('puts the previous save back and leaves no staging folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'inferplan-rollback-'));
    const save = join(root, 'save');
    const fill = (name: string) => async (dir: string) => {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, name), name);
    };
    await writeDirAtomic(save, fill('first.txt'));

    failing.renameTo = save;
    await expect(writeDirAtomic(save, fill('second.txt'))).rejects.toThrow(/save/);

    // The first save is back in place, whole; nothing else is beside it.
    expect(readdirSync(save).sort()).toEqual(['.inferplan-output', 'first.txt']);
    expect(readFileSync(join(save, 'first.txt'), 'utf8')).toBe('first.txt');
    expect(readdirSync(root)).toEqual(['save']);

    // With the failure gone the next save replaces it.
    failing.renameTo = undefined;
    await writeDirAtomic(save, fill('third.txt'));
    expect(readdirSync(save).sort()).toEqual(['.inferplan-output', 'third.txt']);
    expect(readdirSync(root)).toEqual(['save']);
  });
});
