import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bench/silicon-accuracy.js';

describe('bench silicon-accuracy', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('refuses an option it does not know in one line, pointing to silicon compare --out', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    await run(['rows.csv', '--out', 'predictions.csv']);
    expect(process.exitCode).toBe(2);
    expect(written.join('')).toMatch(
      /^silicon-accuracy: unknown option '--out' .*silicon compare CSV --out FILE\n$/,
    );
  });
});
