import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  makeFoldersSync,
  WRITTEN_DIR_MARKER,
  writeDirAtomic,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../../src/common/index.js';

describe('atomic writes', () => {
  it('write whole files and leave no temp file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    await writeFileAtomic(join(dir, 'a', 'out.json'), '{"ok":true}\n');
    writeFileAtomicSync(join(dir, 'b.txt'), 'b');
    expect(readFileSync(join(dir, 'a', 'out.json'), 'utf8')).toBe('{"ok":true}\n');
    expect(readdirSync(dir).sort()).toEqual(['a', 'b.txt']);
    expect(readdirSync(join(dir, 'a'))).toEqual(['out.json']);
  });

  it('turn an unwritable path into a one-line input error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    const under = join(file, 'out.json');
    await expect(writeFileAtomic(under, 'x')).rejects.toThrow(InvalidInputError);
    // Creating the folder fails with EEXIST (a file is there) or ENOTDIR, by platform.
    const inTheWay =
      /^cannot write .*plain\/out\.json: a (file is in the way of a folder \(EEXIST\)|part of the path is a file, not a folder \(ENOTDIR\)); choose another path$/;
    await expect(writeFileAtomic(under, 'x')).rejects.toThrow(inTheWay);
    expect(() => writeFileAtomicSync(under, 'x')).toThrow(inTheWay);
    await expect(writeDirAtomic(join(file, 'out'), async () => {})).rejects.toThrow(
      /cannot write .*(EEXIST|ENOTDIR)/,
    );
    // Writing over a folder names that too.
    await expect(writeFileAtomic(dir, 'x')).rejects.toThrow(/cannot write .*: it is a folder \(EISDIR\)/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it("replace only a folder it wrote itself or an empty one, never the user's files", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const save = join(dir, 'save');
    const fill = (name: string) => async (staging: string) => writeFileSync(join(staging, name), name);
    await writeDirAtomic(save, fill('first.txt'));
    expect(readdirSync(save).sort()).toEqual([WRITTEN_DIR_MARKER, 'first.txt']);
    // A second save to the same folder replaces it whole, leaving nothing beside it.
    await writeDirAtomic(save, fill('second.txt'));
    expect(readdirSync(save).sort()).toEqual([WRITTEN_DIR_MARKER, 'second.txt']);
    expect(readdirSync(dir)).toEqual(['save']);
    // A folder holding someone else's files is refused and left as it was.
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep');
    await expect(writeDirAtomic(mine, fill('x.txt'))).rejects.toThrow(
      /^.*mine already holds files inferplan did not write \(1 entries\); choose a new or empty folder$/,
    );
    expect(readdirSync(mine)).toEqual(['notes.txt']);
    // So is a file in the way; an empty folder is fine.
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'keep');
    await expect(writeDirAtomic(file, fill('x.txt'))).rejects.toThrow(/a file is in the way/);
    expect(readFileSync(file, 'utf8')).toBe('keep');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await writeDirAtomic(empty, fill('x.txt'));
    expect(readFileSync(join(empty, 'x.txt'), 'utf8')).toBe('x.txt');
    // The current folder (or one holding it) cannot be swapped out.
    await expect(writeDirAtomic('.', fill('x.txt'))).rejects.toThrow(/it holds the current folder/);
    await expect(writeDirAtomic(dirname(process.cwd()), fill('x.txt'))).rejects.toThrow(
      /it holds the current folder/,
    );
  });

  it('create missing folders level by level, several deep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    await writeDirAtomic(join(dir, 'x', 'y', 'save'), async (staging) => {
      writeFileSync(join(staging, 'f.txt'), 'f');
    });
    expect(readFileSync(join(dir, 'x', 'y', 'save', 'f.txt'), 'utf8')).toBe('f');
    makeFoldersSync(join(dir, 'p', 'q', 'r'));
    expect(existsSync(join(dir, 'p', 'q', 'r'))).toBe(true);
  });

  // Node 20's recursive mkdir spins forever here (ENOENT from a folder that exists).
  it.runIf(existsSync('/proc/self'))(
    'refuse a folder that cannot hold entries instead of hanging',
    async () => {
      await expect(writeDirAtomic('/proc/inferplan-save', async () => {})).rejects.toThrow(
        /^cannot write \/proc\/inferplan-save: its folder cannot hold new entries \(ENOENT\); choose another path$/,
      );
      expect(() => makeFoldersSync('/proc/inferplan-x/y')).toThrow(
        /cannot write \/proc\/inferplan-x\/y: .*ENOENT/,
      );
      await expect(writeFileAtomic('/proc/inferplan-x/out.csv', 'x')).rejects.toThrow(InvalidInputError);
    },
  );
});
