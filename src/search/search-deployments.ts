// The deployment search: enumerate, estimate, filter by SLA, keep Pareto fronts, pick the best.
import { UsageError } from '../common/index.js';
import {
  type AggLayoutPlan,
  defaultCtxTokensChoices,
  evaluateAggLayout,
  ladderStopper,
  primaryCtxTokens,
} from './agg-candidates.js';
import { DEFAULT_BATCH_LADDER, DEFAULT_PREFILL_BATCH_LADDER } from './batch-ladder.js';
import { evaluateDisaggPair, pruneRole, roleCandidates } from './disagg-candidates.js';
import { compareByObjective, objectiveRatio } from './objective.js';
import { enumerateParallel } from './parallel-candidates.js';
import { paretoFront } from './pareto-front.js';
import { type GpuPrices, scaleToBudget } from './replica-scaling.js';
import type {
  DeploymentConfig,
  EvaluatedPoint,
  FailureSummary,
  ModeComparison,
  Objective,
  SearchMode,
  SearchOptions,
  SearchResult,
  SlaConstraint,
  WorkerParallel,
} from './search-types.js';
import { checkSla, meetsAllButTpot } from './sla-filter.js';

function validateOptions(options: SearchOptions): void {
  if (!Number.isInteger(options.totalGpus) || options.totalGpus < 1) {
    throw new UsageError(`total GPUs must be a positive integer, got ${options.totalGpus}`);
  }
  const w = options.workload;
  if (!(w.isl >= 1) || !(w.osl >= 1))
    throw new UsageError(`isl and osl must be >= 1 (got ${w.isl}, ${w.osl})`);
  for (const [name, value] of [
    ['TTFT', options.sla.ttftMs],
    ['TPOT', options.sla.tpotMs],
    ['request latency', options.sla.requestLatencyMs],
  ] as const) {
    if (value !== undefined && !(value > 0))
      throw new UsageError(`the ${name} target must be > 0 ms, got ${value}`);
  }
  if (options.objective === 'cost' && options.gpuHourUsd === undefined) {
    throw new UsageError(
      'objective cost needs a GPU-hour price: pass --gpu-hour-cost or set price.gpu_hour_usd in the system YAML',
    );
  }
}

/**
 * Drop points whose predicted outcome repeats a better-ranked one (e.g. context budgets that change
 * nothing): a top-N list of indistinguishable rows tells the user nothing. Keeps the first of each.
 */
export function distinctOutcomes(points: readonly EvaluatedPoint[]): EvaluatedPoint[] {
  const seen = new Set<string>();
  return points.filter((p) => {
    const m = p.metrics;
    const key = [p.mode, p.gpusUsed, p.tokensPerSPerGpu, p.tokensPerSPerUser, m.ttftMs, m.tpotMs].join('|');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function emptyCounts(): Record<SlaConstraint, number> {
  return { ttft: 0, tpot: 0, requestLatency: 0 };
}

export function summariseFailures(points: readonly EvaluatedPoint[], closestN = 5): FailureSummary {
  const failedByConstraint = emptyCounts();
  const advisoryFailedByConstraint = emptyCounts();
  let anyMeets = false;
  for (const p of points) {
    if (p.sla.meets) anyMeets = true;
    for (const c of p.sla.failed) failedByConstraint[c]++;
    for (const c of p.sla.advisoryFailed) advisoryFailedByConstraint[c]++;
  }
  const closest = anyMeets
    ? []
    : distinctOutcomes(
        [...points].sort(
          (a, b) => a.sla.violation - b.sla.violation || b.tokensPerSPerGpu - a.tokensPerSPerGpu,
        ),
      ).slice(0, closestN);
  return { failedByConstraint, advisoryFailedByConstraint, closest };
}

/** Best-first ranking and the agg-vs-disagg comparison of the modes' winners. */
export function rankPoints(
  points: readonly EvaluatedPoint[],
  modes: readonly SearchMode[],
  objective: Objective,
  topN: number,
): {
  topByMode: Partial<Record<SearchMode, EvaluatedPoint[]>>;
  paretoByMode: Partial<Record<SearchMode, EvaluatedPoint[]>>;
  best?: EvaluatedPoint;
  comparison?: ModeComparison;
} {
  const topByMode: Partial<Record<SearchMode, EvaluatedPoint[]>> = {};
  const paretoByMode: Partial<Record<SearchMode, EvaluatedPoint[]>> = {};
  const bestByMode: Partial<Record<SearchMode, EvaluatedPoint>> = {};
  for (const mode of modes) {
    const ofMode = points.filter((p) => p.mode === mode);
    const passing = ofMode.filter((p) => p.sla.meets).sort((a, b) => compareByObjective(a, b, objective));
    topByMode[mode] = distinctOutcomes(passing).slice(0, topN);
    if (passing[0]) bestByMode[mode] = passing[0];
    paretoByMode[mode] = paretoFront(
      ofMode.filter((p) => meetsAllButTpot(p.sla)),
      (p) => p.tokensPerSPerUser,
      (p) => p.tokensPerSPerGpu,
    );
  }
  const winners = Object.values(bestByMode).sort((a, b) => compareByObjective(a, b, objective));
  const best = winners[0];
  const other = winners[1];
  const comparison =
    best && other
      ? { bestMode: best.mode, otherMode: other.mode, ratio: objectiveRatio(best, other, objective) }
      : undefined;
  return { topByMode, paretoByMode, ...(best ? { best } : {}), ...(comparison ? { comparison } : {}) };
}

export function searchDeployments(options: SearchOptions): SearchResult {
  validateOptions(options);
  const now = options.nowMs ?? (() => performance.now());
  const started = now();
  const { estimator, totalGpus, workload, sla } = options;
  const decodeEstimator = options.decodeEstimator ?? estimator;
  const modes = options.modes ?? ['agg', 'disagg'];
  const objective = options.objective ?? 'tokens-per-gpu';
  const topN = options.topN ?? 5;
  const maxWorkers = options.maxWorkersPerRole ?? 32;
  const prices: GpuPrices = {
    ...(options.gpuHourUsd !== undefined ? { gpuHourUsd: options.gpuHourUsd } : {}),
    ...(options.decodeGpuHourUsd !== undefined ? { decodeGpuHourUsd: options.decodeGpuHourUsd } : {}),
  };
  const ladder = options.batchLadder ?? DEFAULT_BATCH_LADDER;

  const points: EvaluatedPoint[] = [];
  let parallelLayouts = 0;
  let rejectedLayouts = 0;
  let infeasible = 0;
  let done = 0;
  let total = 0;
  const tick = (n = 1): void => {
    done += n;
    options.onProgress?.(done, total);
  };
  const record = (
    config: DeploymentConfig,
    metrics: EvaluatedPoint['metrics'],
  ): EvaluatedPoint | undefined => {
    const point = scaleToBudget(config, metrics, totalGpus, sla, prices);
    if (point) points.push(point);
    return point;
  };

  if (modes.includes('agg')) {
    const { layouts, rejected } = enumerateParallel(
      estimator,
      totalGpus,
      workload,
      options.parallelSpace,
      true,
    );
    parallelLayouts += layouts.length;
    rejectedLayouts += rejected;
    total += layouts.length;
    const ctxChoices = options.ctxTokensChoices ?? defaultCtxTokensChoices(workload.isl);
    const exhaustive = options.exhaustive === true;
    const plan: Omit<AggLayoutPlan, 'ctxChoices'> = exhaustive
      ? { ladder }
      : { ladder, stopper: ladderStopper(sla.ttftMs, sla.tpotMs), meets: (m) => checkSla(m, sla).meets };
    // The context budget is a second-order knob: every layout first runs at one budget, and only
    // layouts that reach the Pareto front or the top N try the others.
    const first = exhaustive ? ctxChoices : [primaryCtxTokens(ctxChoices)];
    const later = ctxChoices.filter((c) => !first.includes(c));
    const layoutOf = new Map<EvaluatedPoint, WorkerParallel>();
    const batchesOf = new Map<WorkerParallel, readonly number[]>();
    for (const parallel of layouts) {
      const outcome = evaluateAggLayout(estimator, parallel, workload, { ...plan, ctxChoices: first });
      batchesOf.set(parallel, outcome.batches);
      infeasible += outcome.refusedByFits + outcome.refusedByEstimate;
      rejectedLayouts += outcome.invalid;
      for (const e of outcome.evaluations) {
        const point = record(e.config, e.metrics);
        if (point) layoutOf.set(point, parallel);
      }
      tick();
    }
    if (later.length > 0) {
      const ranked = rankPoints(points, ['agg'], objective, topN);
      const promising = new Set<WorkerParallel>();
      for (const p of [...(ranked.paretoByMode.agg ?? []), ...(ranked.topByMode.agg ?? [])]) {
        const parallel = layoutOf.get(p);
        if (parallel) promising.add(parallel);
      }
      total += promising.size;
      for (const parallel of promising) {
        const known = batchesOf.get(parallel);
        const outcome = evaluateAggLayout(estimator, parallel, workload, {
          ...plan,
          ctxChoices: later,
          ...(known ? { knownFeasible: known } : {}),
        });
        infeasible += outcome.refusedByEstimate;
        rejectedLayouts += outcome.invalid;
        for (const e of outcome.evaluations) record(e.config, e.metrics);
        tick();
      }
    }
  }

  if (modes.includes('disagg') && totalGpus >= 2) {
    // Each role leaves at least one GPU to the other.
    const prefillSpace = enumerateParallel(estimator, totalGpus - 1, workload, options.parallelSpace);
    const decodeSpace = enumerateParallel(
      decodeEstimator,
      totalGpus - 1,
      workload,
      options.decodeParallelSpace ?? options.parallelSpace,
    );
    parallelLayouts += prefillSpace.layouts.length + decodeSpace.layouts.length;
    rejectedLayouts += prefillSpace.rejected + decodeSpace.rejected;
    total += prefillSpace.layouts.length + decodeSpace.layouts.length;
    const prefillOutcome = roleCandidates(
      estimator,
      'prefill',
      prefillSpace.layouts,
      workload,
      options.prefillBatchLadder ?? DEFAULT_PREFILL_BATCH_LADDER,
    );
    tick(prefillSpace.layouts.length);
    const decodeOutcome = roleCandidates(decodeEstimator, 'decode', decodeSpace.layouts, workload, ladder);
    tick(decodeSpace.layouts.length);
    infeasible += prefillOutcome.infeasible + decodeOutcome.infeasible;
    rejectedLayouts += prefillOutcome.invalid + decodeOutcome.invalid;
    const prefills = pruneRole(prefillOutcome.candidates, sla.ttftMs);
    const decodes = pruneRole(decodeOutcome.candidates);
    total += prefills.length * decodes.length;
    for (const prefill of prefills) {
      for (const decode of decodes) {
        const outcome = evaluateDisaggPair(estimator, prefill, decode, workload, totalGpus, maxWorkers);
        infeasible += outcome.infeasible;
        rejectedLayouts += outcome.invalid;
        for (const e of outcome.evaluations) record(e.config, e.metrics);
        tick();
      }
    }
  }

  if (objective === 'energy' && points.length > 0 && points.every((p) => p.energyJPerToken === undefined)) {
    throw new UsageError(
      'objective energy needs perf tables with power columns; none of the estimates has power',
    );
  }

  const ranked = rankPoints(points, modes, objective, topN);
  return {
    totalGpus,
    workload,
    sla,
    objective,
    modes,
    points,
    paretoByMode: ranked.paretoByMode,
    topByMode: ranked.topByMode,
    ...(ranked.best ? { best: ranked.best } : {}),
    ...(ranked.comparison ? { comparison: ranked.comparison } : {}),
    failures: summariseFailures(points),
    counts: {
      parallelLayouts,
      rejectedLayouts,
      evaluated: points.length,
      infeasible,
      meetingSla: points.filter((p) => p.sla.meets).length,
    },
    elapsedMs: now() - started,
  };
}
