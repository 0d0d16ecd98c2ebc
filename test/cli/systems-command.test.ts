import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('inferplan systems', () => {
  it('prints a table with every shipped system', async () => {
    const result = await runCli(['systems']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/h200_sxm\s*│\s*141/);
    expect(result.stdout).toContain('spec only');
  });

  it('prints JSON with --json', async () => {
    const result = await runCli(['--json', 'systems']);
    const parsed = JSON.parse(result.stdout) as { name: string }[];
    expect(parsed.map((s) => s.name)).toContain('b200_sxm');
  });

  it('exits non-zero with one line for a missing systems dir', async () => {
    const result = await runCli(['systems', '--systems-dir', '/nonexistent/dir']);
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('/nonexistent/dir');
  });
});
