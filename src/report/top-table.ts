// Top-N tables per mode: one row per configuration, per-role columns for disaggregated serving.
import {
  describeParallel,
  type EvaluatedPoint,
  type SearchMode,
  type SearchResult,
} from '../search/index.js';
import { formatNumber } from './number-format.js';
import { renderTable } from './table.js';

const COMMON_HEAD = [
  'rank',
  'tok/s/gpu',
  'tok/s/user',
  'TTFT ms',
  'TPOT ms',
  'concurrency',
  'GPUs = repl x size',
];

function commonCells(p: EvaluatedPoint, rank: number): string[] {
  return [
    `${rank}`,
    formatNumber(p.tokensPerSPerGpu),
    formatNumber(p.tokensPerSPerUser),
    formatNumber(p.metrics.ttftMs),
    formatNumber(p.metrics.tpotMs),
    formatNumber(p.metrics.concurrency * p.replicas),
    `${p.gpusUsed} = ${p.replicas} x ${p.gpusPerReplica}`,
  ];
}

export function renderTopTable(mode: SearchMode, points: readonly EvaluatedPoint[]): string {
  if (mode === 'agg') {
    const rows = points.map((p, i) => {
      const c = p.config;
      return c.mode === 'agg'
        ? [...commonCells(p, i + 1), describeParallel(c.parallel), `${c.batchSize}`, `${c.ctxTokens}`]
        : [];
    });
    return renderTable([...COMMON_HEAD, 'parallel', 'batch', 'ctx tokens'], rows);
  }
  const rows = points.map((p, i) => {
    const c = p.config;
    return c.mode === 'disagg'
      ? [
          ...commonCells(p, i + 1),
          `${c.prefill.workers} x ${describeParallel(c.prefill.parallel)}`,
          `${c.prefill.batchSize}`,
          `${c.decode.workers} x ${describeParallel(c.decode.parallel)}`,
          `${c.decode.batchSize}`,
        ]
      : [];
  });
  return renderTable([...COMMON_HEAD, 'prefill workers', 'p batch', 'decode workers', 'd batch'], rows);
}

export function renderTopTables(result: SearchResult): string {
  const parts: string[] = [];
  for (const mode of result.modes) {
    const top = result.topByMode[mode] ?? [];
    parts.push(`Top ${mode} configurations meeting the SLA (${top.length}):\n`);
    parts.push(top.length > 0 ? renderTopTable(mode, top) : '  (none)\n');
  }
  if (!result.best && result.failures.closest.length > 0) {
    parts.push('Closest configurations (smallest SLA violation):\n');
    for (const mode of result.modes) {
      const closest = result.failures.closest.filter((p) => p.mode === mode);
      if (closest.length > 0) parts.push(renderTopTable(mode, closest));
    }
  }
  return parts.join('');
}
