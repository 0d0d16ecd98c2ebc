// Wall time (process start included) and peak memory of `inferplan default` on the built CLI.
// Usage: npm run build && npm run bench -- search-speed [--perf-data DIR --backend B --database-mode M] [--runs N]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { optionValue } from './bench-options.js';

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly targetS: number;
}

export function run(args: string[]): void {
  const bin = fileURLToPath(new URL('../dist/inferplan.mjs', import.meta.url));
  if (!existsSync(bin)) {
    process.stderr.write('build first: npm run build\n');
    process.exitCode = 2;
    return;
  }
  const runs = Number(optionValue(args, '--runs', '3'));
  const data: string[] = [];
  for (const flag of ['--perf-data', '--backend', '--database-mode', '--version']) {
    const value = optionValue(args, flag);
    if (value) data.push(flag, value);
  }
  // The embedded torch tables have no MLA or fp8-block data: DeepSeek needs hybrid mode there.
  const deepseekMode = data.length === 0 ? ['--database-mode', 'hybrid'] : [];
  const cases: Case[] = [
    {
      name: 'Qwen3-32B, 32 x h200_sxm, agg+disagg',
      args: ['--model', 'Qwen/Qwen3-32B', '--system', 'h200_sxm', '--gpus', '32'],
      targetS: 1,
    },
    {
      name: 'DeepSeek-V3, 64 x h200_sxm, agg+disagg',
      args: ['--model', 'deepseek-ai/DeepSeek-V3', '--system', 'h200_sxm', '--gpus', '64', ...deepseekMode],
      targetS: 5,
    },
  ];
  const hasTime = existsSync('/usr/bin/time');
  const rows: string[][] = [];
  for (const c of cases) {
    const walls: number[] = [];
    const rss: number[] = [];
    let searchMs = Number.NaN;
    let configs = Number.NaN;
    for (let i = 0; i < runs; i++) {
      const command = ['node', bin, '--json', 'default', ...c.args, ...data];
      const started = performance.now();
      const child = hasTime
        ? spawnSync('/usr/bin/time', ['-f', '%M', ...command], { encoding: 'utf8', maxBuffer: 1 << 28 })
        : spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
      walls.push((performance.now() - started) / 1000);
      if (child.status !== 0 && child.status !== 8) {
        process.stderr.write(
          `${c.name}: exit ${child.status}: ${child.stderr.trim().split('\n').at(-2) ?? ''}\n`,
        );
        break;
      }
      const kb = hasTime ? Number(child.stderr.trim().split('\n').at(-1)) : Number.NaN;
      rss.push(kb / 1024);
      const parsed = JSON.parse(child.stdout) as { elapsed_ms: number; counts: { evaluated: number } };
      searchMs = parsed.elapsed_ms;
      configs = parsed.counts.evaluated;
    }
    walls.sort((a, b) => a - b);
    rows.push([
      c.name,
      walls.length
        ? `${walls[0]!.toFixed(2)} s (median ${walls[Math.floor(walls.length / 2)]!.toFixed(2)})`
        : 'failed',
      `< ${c.targetS} s`,
      `${searchMs.toFixed(0)} ms search, ${configs} configs`,
      rss.length ? `${Math.max(...rss).toFixed(0)} MB` : 'n/a',
      '< 400 MB',
    ]);
  }
  const head = ['case', 'wall (min of runs)', 'target', 'in-process', 'peak RSS', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
}
