// Disaggregated candidates: prefill worker x decode worker x worker ratio (x prefill : y decode).
//
// Each role is sized with the estimator's static estimate (TTFT of a context-only batch, TPOT of a
// decode-only batch), giving a per-worker request rate. Those rates only steer which x:y ratios are
// worth estimating (the ones near rate balance, x P ~ y D); the reported metrics always come from
// estimating the whole disaggregated replica.
import type { DisaggConfig, Estimator, ServingMetrics, StaticConfig, Workload } from '../serving/index.js';
import { feasibleBatches, ladderForWorker } from './batch-ladder.js';
import { tryEstimate } from './estimate-guard.js';
import { gpusPerWorker } from './parallel-candidates.js';
import { paretoFront } from './pareto-front.js';
import type { WorkerParallel } from './search-types.js';

export interface RoleCandidate {
  readonly parallel: WorkerParallel;
  readonly batchSize: number;
  readonly gpus: number;
  /** TTFT of the batch (prefill) or TPOT (decode) from the static estimate. */
  readonly latencyMs: number;
  /** Requests per second one worker completes in this role. */
  readonly requestsPerS: number;
}

export interface RoleOutcome {
  readonly candidates: RoleCandidate[];
  readonly infeasible: number;
  readonly invalid: number;
}

/** Requests/s of one prefill worker running `batchSize` prompts per context pass. */
export function prefillRate(batchSize: number, ttftMs: number): number {
  return (batchSize * 1000) / ttftMs;
}

/** Requests/s of one decode worker holding `batchSize` requests for osl - 1 steps of tpotMs. */
export function decodeRate(batchSize: number, tpotMs: number, osl: number): number {
  return (batchSize * 1000) / (tpotMs * Math.max(1, osl - 1));
}

export function roleCandidates(
  estimator: Estimator,
  role: 'prefill' | 'decode',
  layouts: readonly WorkerParallel[],
  workload: Workload,
  ladder: readonly number[],
): RoleOutcome {
  const candidates: RoleCandidate[] = [];
  let infeasible = 0;
  let invalid = 0;
  for (const parallel of layouts) {
    const batches = feasibleBatches(ladderForWorker(ladder, parallel.attentionDp), (b) => {
      const ok = estimator.fits(parallel, b, workload, role).fits;
      if (!ok) infeasible++;
      return ok;
    });
    for (const batchSize of batches) {
      const config: StaticConfig = { mode: 'static', parallel, batchSize };
      const outcome = tryEstimate(estimator, config, workload);
      if (outcome.kind === 'invalid') {
        invalid++;
        continue;
      }
      if (outcome.kind === 'infeasible') {
        infeasible++;
        break;
      }
      const m = outcome.metrics;
      const latencyMs = role === 'prefill' ? m.ttftMs : m.tpotMs;
      if (!(latencyMs > 0)) continue;
      const requestsPerS =
        role === 'prefill'
          ? prefillRate(batchSize, latencyMs)
          : decodeRate(batchSize, latencyMs, workload.osl);
      candidates.push({ parallel, batchSize, gpus: gpusPerWorker(parallel), latencyMs, requestsPerS });
    }
  }
  return { candidates, infeasible, invalid };
}

/**
 * Keep role candidates worth pairing: those no other beats on both latency and rate per GPU.
 * For prefill, candidates over the TTFT target are dropped first (disaggregated TTFT only adds
 * queueing and KV transfer to the context pass); if none is left the fastest few stay, so the
 * no-SLA diagnostics still have disaggregated points to show.
 */
export function pruneRole(candidates: readonly RoleCandidate[], latencyTargetMs?: number): RoleCandidate[] {
  let pool = candidates;
  if (latencyTargetMs !== undefined) {
    const within = candidates.filter((c) => c.latencyMs <= latencyTargetMs);
    pool = within.length > 0 ? within : [...candidates].sort((a, b) => a.latencyMs - b.latencyMs).slice(0, 3);
  }
  return paretoFront(
    pool,
    (c) => -c.latencyMs,
    (c) => c.requestsPerS / c.gpus,
  );
}

/**
 * Worker ratios worth estimating for one prefill/decode pair: for each decode count y, the prefill
 * counts just below and above rate balance (more prefill than that only idles GPUs).
 */
export function candidateRatios(
  prefill: RoleCandidate,
  decode: RoleCandidate,
  totalGpus: number,
  maxWorkersPerRole: number,
): [number, number][] {
  const out: [number, number][] = [];
  const seen = new Set<number>();
  for (let y = 1; y <= maxWorkersPerRole; y++) {
    if (y * decode.gpus + prefill.gpus > totalGpus) break;
    const balance = (y * decode.requestsPerS) / prefill.requestsPerS;
    for (const raw of [Math.floor(balance), Math.ceil(balance)]) {
      const x = Math.min(maxWorkersPerRole, Math.max(1, raw));
      if (x * prefill.gpus + y * decode.gpus > totalGpus) continue;
      const key = x * 1000 + y;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push([x, y]);
    }
  }
  return out;
}

export interface DisaggEvaluation {
  readonly config: DisaggConfig;
  readonly metrics: ServingMetrics;
}

/** Estimate each candidate ratio of one pair with the (decode-aware) estimator. */
export function evaluateDisaggPair(
  estimator: Estimator,
  prefill: RoleCandidate,
  decode: RoleCandidate,
  workload: Workload,
  totalGpus: number,
  maxWorkersPerRole: number,
): { evaluations: DisaggEvaluation[]; infeasible: number; invalid: number } {
  const evaluations: DisaggEvaluation[] = [];
  let infeasible = 0;
  let invalid = 0;
  for (const [x, y] of candidateRatios(prefill, decode, totalGpus, maxWorkersPerRole)) {
    const config: DisaggConfig = {
      mode: 'disagg',
      prefill: { parallel: prefill.parallel, batchSize: prefill.batchSize, workers: x },
      decode: { parallel: decode.parallel, batchSize: decode.batchSize, workers: y },
    };
    const outcome = tryEstimate(estimator, config, workload);
    if (outcome.kind === 'ok') evaluations.push({ config, metrics: outcome.metrics });
    else if (outcome.kind === 'infeasible') infeasible++;
    else invalid++;
  }
  return { evaluations, infeasible, invalid };
}
