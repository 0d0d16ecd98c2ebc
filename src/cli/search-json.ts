// JSON shape of a search result for --json (snake_case keys with units, like every JSON output).
import type { EvaluatedPoint, SearchResult } from '../search/index.js';

function pointJson(p: EvaluatedPoint): Record<string, unknown> {
  return {
    mode: p.mode,
    config: p.config,
    replicas: p.replicas,
    gpus_per_replica: p.gpusPerReplica,
    gpus_used: p.gpusUsed,
    total_tokens_per_s: p.totalTokensPerS,
    tokens_per_s_per_gpu: p.tokensPerSPerGpu,
    tokens_per_s_per_user: p.tokensPerSPerUser,
    ttft_ms: p.metrics.ttftMs,
    tpot_ms: p.metrics.tpotMs,
    request_latency_ms: p.metrics.requestLatencyMs,
    concurrency: p.metrics.concurrency * p.replicas,
    mem_bytes_per_gpu: p.metrics.memBytesPerGpu,
    provenance: p.metrics.provenance,
    meets_sla: p.sla.meets,
    ...(p.costPerMTokensUsd !== undefined ? { cost_per_m_tokens_usd: p.costPerMTokensUsd } : {}),
    ...(p.energyJPerToken !== undefined ? { energy_j_per_token: p.energyJPerToken } : {}),
  };
}

export function searchResultJson(
  result: SearchResult,
  context: Record<string, string>,
): Record<string, unknown> {
  return {
    ...context,
    total_gpus: result.totalGpus,
    workload: result.workload,
    sla: result.sla,
    objective: result.objective,
    best: result.best ? pointJson(result.best) : null,
    comparison: result.comparison ?? null,
    top: Object.fromEntries(result.modes.map((m) => [m, (result.topByMode[m] ?? []).map(pointJson)])),
    pareto: Object.fromEntries(result.modes.map((m) => [m, (result.paretoByMode[m] ?? []).map(pointJson)])),
    failures: {
      failed_by_constraint: result.failures.failedByConstraint,
      closest: result.failures.closest.map(pointJson),
    },
    counts: result.counts,
    elapsed_ms: result.elapsedMs,
  };
}
