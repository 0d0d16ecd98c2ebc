import { afterEach, describe, expect, it, vi } from 'vitest';
import { optionValue, positionalArg } from '../../bench/bench-options.js';
import { run as moeSplit } from '../../bench/moe-split.js';

describe('benchmark options', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('reads option values with fallbacks and the first positional argument', () => {
    const args = ['--runs', '5', 'rows.csv', '--perf-data', 'dir'];
    expect(optionValue(args, '--runs')).toBe('5');
    expect(optionValue(args, '--seed')).toBeUndefined();
    expect(optionValue(args, '--seed', '1')).toBe('1');
    expect(positionalArg(args)).toBe('rows.csv');
    expect(positionalArg(['--perf-data', 'dir'])).toBeUndefined();
  });

  it('moe-split without --perf-data prints its usage and exits 2', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    await moeSplit([]);
    expect(process.exitCode).toBe(2);
    expect(written.join('')).toBe('usage: npm run bench -- moe-split --perf-data DIR\n');
  });
});
