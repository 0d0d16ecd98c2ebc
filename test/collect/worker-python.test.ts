import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const WORKER_DIR = fileURLToPath(new URL('../../workers/torch/', import.meta.url));
const python = spawnSync('python3', ['--version']);
const hasPython = python.status === 0;
if (!hasPython)
  console.warn('python3 not found: skipping the torch worker protocol tests (workers/torch/test_*.py)');

describe.skipIf(!hasPython)('torch worker (python, no GPU needed)', () => {
  it('passes its protocol and case-parsing unit tests', () => {
    const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', WORKER_DIR, '-p', 'test_*.py'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toMatch(/OK/);
    expect(run.status).toBe(0);
  });
});
