// JSON form of search results for --json: snake_case keys with units, no per-point flood by default.
import type { EvaluatedPoint, ExperimentOutcome, RecommendResult, SearchResult } from '../search/index.js';
import { tpotPartsJson, ttftPartsJson } from './time-parts.js';

export function pointJson(p: EvaluatedPoint): Record<string, unknown> {
  const m = p.metrics;
  return {
    mode: p.mode,
    config: p.config,
    tokens_per_s_per_gpu: p.tokensPerSPerGpu,
    tokens_per_s_per_user: p.tokensPerSPerUser,
    total_tokens_per_s: p.totalTokensPerS,
    ttft_ms: m.ttftMs,
    ttft_parts_ms: ttftPartsJson(m.ttftParts),
    tpot_ms: m.tpotMs,
    tpot_parts_ms: tpotPartsJson(m.tpotParts),
    request_latency_ms: m.requestLatencyMs,
    requests_per_s_per_replica: m.requestsPerS,
    concurrency_per_replica: m.concurrency,
    replicas: p.replicas,
    gpus_per_replica: p.gpusPerReplica,
    gpus_used: p.gpusUsed,
    mem_bytes_per_gpu: m.memBytesPerGpu,
    ...(p.costPerMTokensUsd !== undefined ? { cost_per_m_tokens_usd: p.costPerMTokensUsd } : {}),
    ...(p.energyJPerToken !== undefined ? { energy_j_per_token: p.energyJPerToken } : {}),
    provenance_shares: m.provenance,
    meets_sla: p.sla.meets,
    sla_failed: p.sla.failed,
    sla_advisory_failed: p.sla.advisoryFailed,
  };
}

export function searchResultJson(
  result: SearchResult,
  options: { allPoints?: boolean } = {},
): Record<string, unknown> {
  const byMode = (rec: SearchResult['paretoByMode']) =>
    Object.fromEntries(result.modes.map((m) => [m, (rec[m] ?? []).map(pointJson)]));
  return {
    total_gpus: result.totalGpus,
    workload: {
      isl: result.workload.isl,
      osl: result.workload.osl,
      prefix: result.workload.prefix,
      nextn: result.workload.nextn,
      nextn_accept: result.workload.nextnAccept,
    },
    sla: {
      ttft_ms: result.sla.ttftMs ?? null,
      tpot_ms: result.sla.tpotMs ?? null,
      request_latency_ms: result.sla.requestLatencyMs ?? null,
      strict: result.sla.strict === true,
    },
    objective: result.objective,
    modes: result.modes,
    best: result.best ? pointJson(result.best) : null,
    comparison: result.comparison ?? null,
    top: byMode(result.topByMode),
    pareto: byMode(result.paretoByMode),
    failures: {
      failed_by_constraint: result.failures.failedByConstraint,
      advisory_failed_by_constraint: result.failures.advisoryFailedByConstraint,
      closest: result.failures.closest.map(pointJson),
    },
    counts: result.counts,
    elapsed_ms: result.elapsedMs,
    ...(options.allPoints ? { points: result.points.map(pointJson) } : {}),
  };
}

export function recommendResultJson(result: RecommendResult): Record<string, unknown> {
  const rec = (r: NonNullable<RecommendResult['recommendation']>) => ({
    gpus: r.gpus,
    replicas: r.replicas,
    capacity_per_replica: r.capacityPerReplica,
    utilisation: r.utilisation,
    point: pointJson(r.point),
  });
  return {
    target: result.target,
    recommendation: result.recommendation ? rec(result.recommendation) : null,
    alternatives: result.alternatives.map(rec),
    search: searchResultJson(result.search),
  };
}

export function experimentsJson(outcomes: readonly ExperimentOutcome[]): Record<string, unknown>[] {
  return outcomes.map((o) => ({
    name: o.spec.name,
    spec: o.spec,
    ...(o.result ? { result: searchResultJson(o.result) } : {}),
    ...(o.error ? { error: o.error } : {}),
  }));
}
