// SLA verdicts: which targets a point misses and by how much (normalised).
import type { ServingMetrics } from '../serving/index.js';
import type { Sla, SlaConstraint, SlaVerdict } from './search-types.js';

function metricOf(metrics: ServingMetrics, constraint: SlaConstraint): number {
  if (constraint === 'ttft') return metrics.ttftMs;
  if (constraint === 'tpot') return metrics.tpotMs;
  return metrics.requestLatencyMs;
}

function targetOf(sla: Sla, constraint: SlaConstraint): number | undefined {
  if (constraint === 'ttft') return sla.ttftMs;
  if (constraint === 'tpot') return sla.tpotMs;
  return sla.requestLatencyMs;
}

/** Constraints the search enforces: TTFT and TPOT always, request latency only in strict mode. */
export function isEnforced(sla: Sla, constraint: SlaConstraint): boolean {
  return constraint !== 'requestLatency' || sla.strict === true;
}

export function checkSla(metrics: ServingMetrics, sla: Sla): SlaVerdict {
  const failed: SlaConstraint[] = [];
  const advisoryFailed: SlaConstraint[] = [];
  let violation = 0;
  for (const constraint of ['ttft', 'tpot', 'requestLatency'] as const) {
    const target = targetOf(sla, constraint);
    if (target === undefined) continue;
    const value = metricOf(metrics, constraint);
    // A NaN metric can never be said to meet a target.
    const misses = !(value <= target);
    if (!misses) continue;
    if (isEnforced(sla, constraint)) {
      failed.push(constraint);
      violation += Number.isFinite(value) ? value / target - 1 : Number.POSITIVE_INFINITY;
    } else {
      advisoryFailed.push(constraint);
    }
  }
  return { meets: failed.length === 0, failed, advisoryFailed, violation };
}

/** Meets every enforced constraint except TPOT: the population the Pareto chart is drawn from. */
export function meetsAllButTpot(verdict: SlaVerdict): boolean {
  return verdict.failed.every((c) => c === 'tpot');
}
