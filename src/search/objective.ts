// Ranking by objective: higher tokens/s per GPU or in total, lower cost or energy per token.
import type { EvaluatedPoint, Objective } from './search-types.js';

/** The objective's figure for a point: larger is better (cost and energy are negated). */
export function objectiveScore(point: EvaluatedPoint, objective: Objective): number {
  switch (objective) {
    case 'tokens-per-gpu':
      return point.tokensPerSPerGpu;
    case 'total-throughput':
      return point.totalTokensPerS;
    case 'cost':
      return point.costPerMTokensUsd === undefined ? Number.NEGATIVE_INFINITY : -point.costPerMTokensUsd;
    case 'energy':
      return point.energyJPerToken === undefined ? Number.NEGATIVE_INFINITY : -point.energyJPerToken;
  }
}

/**
 * Sort comparator, best first; ties go to more tokens/s per GPU, then in total, then per user,
 * then to the shorter TTFT (a disaggregated replica limited by its decode workers delivers the
 * same throughput with a smaller prefill batch, and its users wait less for the first token).
 */
export function compareByObjective(a: EvaluatedPoint, b: EvaluatedPoint, objective: Objective): number {
  return (
    objectiveScore(b, objective) - objectiveScore(a, objective) ||
    b.tokensPerSPerGpu - a.tokensPerSPerGpu ||
    b.totalTokensPerS - a.totalTokensPerS ||
    b.tokensPerSPerUser - a.tokensPerSPerUser ||
    a.metrics.ttftMs - b.metrics.ttftMs
  );
}

/** How many times better `best` is than `other` on the objective (>= 1 when best is best). */
export function objectiveRatio(best: EvaluatedPoint, other: EvaluatedPoint, objective: Objective): number {
  const a = Math.abs(objectiveScore(best, objective));
  const b = Math.abs(objectiveScore(other, objective));
  if (objective === 'cost' || objective === 'energy') return a > 0 ? b / a : Number.NaN;
  return b > 0 ? a / b : Number.POSITIVE_INFINITY;
}
