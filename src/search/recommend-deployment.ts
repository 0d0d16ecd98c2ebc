// Fewest GPUs that carry a target load within the SLA: replicas of the best per-replica config.
import { UsageError } from '../common/index.js';
import { compareByObjective } from './objective.js';
import { searchDeployments } from './search-deployments.js';
import type { EvaluatedPoint, SearchOptions, SearchResult } from './search-types.js';

/** A load to carry: a request rate (req/s) or a number of requests in flight. */
export type LoadTarget = { readonly requestsPerS: number } | { readonly concurrency: number };

export interface RecommendOptions extends Omit<SearchOptions, 'totalGpus'> {
  readonly target: LoadTarget;
  /** Largest replica considered (GPUs). Default 64. */
  readonly maxGpusPerReplica?: number;
}

export interface Recommendation {
  /** The per-replica configuration (its `replicas`/`gpusUsed` fields refer to the search budget). */
  readonly point: EvaluatedPoint;
  readonly replicas: number;
  readonly gpus: number;
  /** Capacity of one replica in the target's unit (req/s or concurrent requests). */
  readonly capacityPerReplica: number;
  /** Target / (replicas * capacity): how loaded the replicas run. */
  readonly utilisation: number;
}

export interface RecommendResult {
  readonly target: LoadTarget;
  readonly recommendation?: Recommendation;
  /** Other GPU counts that also work, fewest GPUs first (one per GPU count). */
  readonly alternatives: readonly Recommendation[];
  readonly search: SearchResult;
}

function targetValue(target: LoadTarget): number {
  return 'requestsPerS' in target ? target.requestsPerS : target.concurrency;
}

/** Replicas and GPUs one SLA-meeting configuration needs to carry the target. */
export function sizeForTarget(point: EvaluatedPoint, target: LoadTarget): Recommendation | undefined {
  const capacityPerReplica =
    'requestsPerS' in target ? point.metrics.requestsPerS : point.metrics.concurrency;
  if (!(capacityPerReplica > 0)) return undefined;
  const value = targetValue(target);
  const replicas = Math.max(1, Math.ceil(value / capacityPerReplica - 1e-9));
  return {
    point,
    replicas,
    gpus: replicas * point.gpusPerReplica,
    capacityPerReplica,
    utilisation: value / (replicas * capacityPerReplica),
  };
}

export function recommendDeployment(options: RecommendOptions): RecommendResult {
  const value = targetValue(options.target);
  if (!(value > 0)) throw new UsageError(`the target load must be > 0, got ${value}`);
  const objective = options.objective ?? 'tokens-per-gpu';
  const search = searchDeployments({ ...options, totalGpus: options.maxGpusPerReplica ?? 64 });
  const sized = search.points
    .filter((p) => p.sla.meets)
    .map((p) => sizeForTarget(p, options.target))
    .filter((r): r is Recommendation => r !== undefined)
    .sort((a, b) => a.gpus - b.gpus || compareByObjective(a.point, b.point, objective));
  const perGpuCount: Recommendation[] = [];
  for (const r of sized) if (perGpuCount.at(-1)?.gpus !== r.gpus) perGpuCount.push(r);
  const [recommendation, ...rest] = perGpuCount;
  return {
    target: options.target,
    ...(recommendation ? { recommendation } : {}),
    alternatives: rest.slice(0, (options.topN ?? 5) - 1),
    search,
  };
}
