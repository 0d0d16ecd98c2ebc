// CSV text (RFC 4180 quoting) and the columns of an evaluated point.
import type { EvaluatedPoint } from '../search/index.js';
import type { WorkerParallel } from '../serving/index.js';

function cell(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  const text =
    typeof value === 'number'
      ? Number.isInteger(value)
        ? `${value}`
        : `${Number(value.toPrecision(8))}`
      : `${value}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(
  head: readonly string[],
  rows: readonly (readonly (string | number | boolean | undefined)[])[],
): string {
  return `${[head, ...rows].map((r) => r.map(cell).join(',')).join('\n')}\n`;
}

const PARALLEL_KEYS = ['tp', 'pp', 'attention_dp', 'moe_tp', 'moe_ep'] as const;

function parallelCells(p: WorkerParallel | undefined): (number | undefined)[] {
  return p
    ? [p.tp, p.pp, p.attentionDp, p.moeTp, p.moeEp]
    : [undefined, undefined, undefined, undefined, undefined];
}

export const POINT_CSV_HEAD: readonly string[] = [
  'mode',
  'rank',
  'tokens_per_s_per_gpu',
  'tokens_per_s_per_user',
  'ttft_ms',
  'tpot_ms',
  'request_latency_ms',
  'concurrency',
  'requests_per_s',
  'total_tokens_per_s',
  'gpus_used',
  'replicas',
  'gpus_per_replica',
  ...PARALLEL_KEYS,
  'batch_size',
  'ctx_tokens',
  'prefill_workers',
  ...PARALLEL_KEYS.map((k) => `prefill_${k}`),
  'prefill_batch_size',
  'decode_workers',
  ...PARALLEL_KEYS.map((k) => `decode_${k}`),
  'decode_batch_size',
  'cost_per_m_tokens_usd',
  'energy_j_per_token',
  'mem_bytes_per_gpu',
  'meets_sla',
  'sla_failed',
];

export function pointCsvRow(p: EvaluatedPoint, rank: number): (string | number | boolean | undefined)[] {
  const c = p.config;
  const agg = c.mode === 'agg' ? c : undefined;
  const dis = c.mode === 'disagg' ? c : undefined;
  return [
    p.mode,
    rank,
    p.tokensPerSPerGpu,
    p.tokensPerSPerUser,
    p.metrics.ttftMs,
    p.metrics.tpotMs,
    p.metrics.requestLatencyMs,
    p.metrics.concurrency * p.replicas,
    p.metrics.requestsPerS * p.replicas,
    p.totalTokensPerS,
    p.gpusUsed,
    p.replicas,
    p.gpusPerReplica,
    ...parallelCells(agg?.parallel),
    agg?.batchSize,
    agg?.ctxTokens,
    dis?.prefill.workers,
    ...parallelCells(dis?.prefill.parallel),
    dis?.prefill.batchSize,
    dis?.decode.workers,
    ...parallelCells(dis?.decode.parallel),
    dis?.decode.batchSize,
    p.costPerMTokensUsd,
    p.energyJPerToken,
    p.metrics.memBytesPerGpu,
    p.sla.meets,
    p.sla.failed.join(' '),
  ];
}

export function pointsToCsv(points: readonly EvaluatedPoint[]): string {
  return toCsv(
    POINT_CSV_HEAD,
    points.map((p, i) => pointCsvRow(p, i + 1)),
  );
}
