// Console output of `recommend`: the fewest GPUs that carry the load, and the next options.
import type { Recommendation, RecommendResult } from '../search/index.js';
import { describeWorkers } from './deployment-text.js';
import { formatNumber, formatPercent } from './number-format.js';
import { renderProvenanceLine } from './provenance-line.js';
import { describeSla } from './search-summary.js';
import { renderTable } from './table.js';
import { renderBox } from './text-box.js';

function loadText(result: RecommendResult): string {
  const t = result.target;
  return 'requestsPerS' in t
    ? `${formatNumber(t.requestsPerS)} requests/s`
    : `${formatNumber(t.concurrency)} concurrent requests`;
}

function capacityText(result: RecommendResult, r: Recommendation): string {
  return 'requestsPerS' in result.target
    ? `${formatNumber(r.capacityPerReplica)} req/s`
    : `${formatNumber(r.capacityPerReplica)} requests`;
}

export function renderRecommendation(result: RecommendResult): string {
  const head = `Load: ${loadText(result)}; SLA: ${describeSla(result.search)}`;
  const rec = result.recommendation;
  if (!rec) {
    const failed = result.search.failures.failedByConstraint;
    return renderBox([
      head,
      'No configuration meets the SLA, so no GPU count carries this load.',
      `Missed: TTFT by ${failed.ttft}, TPOT by ${failed.tpot}, request latency by ${failed.requestLatency} configurations`,
    ]);
  }
  const p = rec.point;
  const box = renderBox([
    head,
    `Use ${rec.gpus} GPUs: ${rec.replicas} x ${p.mode} replica of ${p.gpusPerReplica} GPU${p.gpusPerReplica === 1 ? '' : 's'}`,
    `Replica     ${describeWorkers(p)}`,
    `Capacity    ${capacityText(result, rec)} per replica, ${formatPercent(rec.utilisation)} used at the target load`,
    `Latency     TTFT ${formatNumber(p.metrics.ttftMs)} ms   TPOT ${formatNumber(p.metrics.tpotMs)} ms at full replica load`,
    renderProvenanceLine(p.metrics.provenance),
  ]);
  if (result.alternatives.length === 0) return box;
  const rows = result.alternatives.map((a) => [
    `${a.gpus}`,
    `${a.replicas} x ${a.point.gpusPerReplica}`,
    a.point.mode,
    describeWorkers(a.point),
    formatNumber(a.point.tokensPerSPerGpu),
    formatPercent(a.utilisation),
  ]);
  return `${box}\nNext options:\n${renderTable(['GPUs', 'replicas x size', 'mode', 'workers', 'tok/s/gpu', 'used'], rows)}`;
}
