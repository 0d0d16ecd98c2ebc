// A reader that stops early (`inferplan ... | head`) is not an error: quiet exit, no stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/common/index.js';

describe('a closed stdout pipe', () => {
  it('ends the command quietly with exit code 0', () => {
    const errFile = join(mkdtempSync(join(tmpdir(), 'pipe-')), 'stderr.txt');
    // A search's JSON is larger than a pipe's buffer, so the command is still writing when
    // `head` has its byte and goes; pipefail makes the exit status the command's own.
    const command =
      `set -o pipefail; "${process.execPath}" --import tsx src/cli/bin.ts --json default ` +
      `--model Qwen/Qwen3-32B --system h200_sxm --gpus 8 2>"${errFile}" | head -c 1 >/dev/null`;
    const run = spawnSync('bash', ['-c', command], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
    const stderr = readFileSync(errFile, 'utf8');
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(run.status).toBe(0);
  }, 30_000);
});
