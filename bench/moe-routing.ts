// How well the estimator's `random` MoE routing (independent uniform top-k picks, priced from
// balanced rows) predicts the op measured under that routing. Input: the JSON lines of
// workers/torch/moe_routing_check.py (scripts/device/moe-routing.sh). The balanced rows become a
// one-table perf database; each `random` point is queried from it and compared with the mean of
// its measured seeds.
// Usage: npm run bench -- moe-routing data/reference/h200_sxm_moe_routing.jsonl
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemRegistry } from '../src/hardware/index.js';
import { openPerfDatabase, PREFIX_COLUMNS, TABLE_SCHEMAS } from '../src/perfdb/index.js';

interface RoutingPoint {
  shape: string;
  hidden_size: number;
  inter_size: number;
  topk: number;
  num_experts: number;
  num_tokens: number;
  routing: 'balanced' | 'random';
  distinct_experts: number;
  latency_ms: number;
}

const COLUMNS = [...PREFIX_COLUMNS, ...TABLE_SCHEMAS.moe.keyColumns.map((c) => c.name), 'latency'];

export async function run(args: string[]): Promise<void> {
  const file = args[0];
  if (!file) {
    process.stderr.write('usage: npm run bench -- moe-routing FILE.jsonl\n');
    process.exitCode = 2;
    return;
  }
  const points = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as RoutingPoint);
  const root = mkdtempSync(join(tmpdir(), 'inferplan-moe-routing-'));
  try {
    const dir = join(root, 'h200_sxm', 'torch', '0.0.0');
    mkdirSync(dir, { recursive: true });
    const rows = points
      .filter((p) => p.routing === 'balanced')
      .map((p) => {
        const cells: Record<string, string | number> = {
          framework: 'torch',
          version: '0.0.0',
          device: 'NVIDIA H200',
          op_name: 'moe',
          kernel_source: 'torch_grouped_mm',
          moe_dtype: 'bfloat16',
          num_tokens: p.num_tokens,
          hidden_size: p.hidden_size,
          inter_size: p.inter_size,
          topk: p.topk,
          num_experts: p.num_experts,
          moe_tp_size: 1,
          moe_ep_size: 1,
          distribution: 'balanced',
          latency: p.latency_ms,
        };
        return COLUMNS.map((c) => cells[c] ?? '').join(',');
      });
    writeFileSync(join(dir, 'moe_perf.txt'), `${COLUMNS.join(',')}\n${rows.join('\n')}\n`);
    const db = await openPerfDatabase({
      system: new SystemRegistry().get('h200_sxm'),
      backend: 'torch',
      version: '0.0.0',
      perfDataDir: root,
      mode: 'silicon',
    });
    // Mean of the measured seeds per (shape, tokens).
    const measured = new Map<string, { point: RoutingPoint; sum: number; n: number; balanced: number }>();
    for (const p of points) {
      const key = `${p.shape}|${p.num_tokens}`;
      const entry = measured.get(key) ?? { point: p, sum: 0, n: 0, balanced: Number.NaN };
      if (p.routing === 'random') {
        entry.sum += p.latency_ms;
        entry.n++;
      } else entry.balanced = p.latency_ms;
      measured.set(key, entry);
    }
    const header = `${'shape'.padEnd(22)} ${'tokens'.padStart(6)} ${'balanced'.padStart(9)} ${'random'.padStart(8)} ${'predicted'.padStart(9)} ${'error'.padStart(7)} ${'as balanced'.padStart(11)}\n`;
    process.stdout.write(header);
    const errors: { tokens: number; touchedShare: number; err: number; balancedErr: number }[] = [];
    for (const { point: p, sum, n, balanced } of measured.values()) {
      if (n === 0) continue;
      const random = sum / n;
      const predicted = db.query({
        kind: 'moe',
        dtype: 'bfloat16',
        numTokens: p.num_tokens,
        hiddenSize: p.hidden_size,
        interSize: p.inter_size,
        topk: p.topk,
        numExperts: p.num_experts,
        moeTp: 1,
        moeEp: 1,
        distribution: 'random',
      }).latencyMs;
      const err = (predicted - random) / random;
      const balancedErr = (balanced - random) / random;
      errors.push({
        tokens: p.num_tokens,
        touchedShare: Math.min(1, (p.num_tokens * p.topk) / p.num_experts),
        err,
        balancedErr,
      });
      const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
      process.stdout.write(
        `${p.shape.padEnd(22)} ${String(p.num_tokens).padStart(6)} ${balanced.toFixed(4).padStart(9)} ${random.toFixed(4).padStart(8)} ${predicted.toFixed(4).padStart(9)} ${pct(err).padStart(7)} ${pct(balancedErr).padStart(11)}\n`,
      );
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    for (const [label, keep] of [
      ['decode sizes (tokens <= 256)', (e: (typeof errors)[number]) => e.tokens <= 256],
      ['all sizes', () => true],
    ] as const) {
      const sel = errors.filter(keep);
      process.stdout.write(
        `${label}: mean |error| ${(mean(sel.map((e) => Math.abs(e.err))) * 100).toFixed(1)}% ` +
          `(pricing them as balanced: ${(mean(sel.map((e) => Math.abs(e.balancedErr))) * 100).toFixed(1)}%) over ${sel.length} points\n`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
