// Whether a measured row is physically possible for the deployment it records. A closed-loop
// benchmark's own numbers say how much work the GPUs did per second: with c clients, requests
// finish at X = c / (TTFT + (osl - 1) TPOT) (Little's law), each one a prefill of isl tokens, and
// X (osl - 1) TPOT of them decode at any moment. Priced at the speed of light (no kernel faster
// than the GPU's peak FLOPs and memory bandwidth), that work must fit in the time it had:
//
//   X * prefill_sol(isl) <= 1   and   decode_step_sol(running) / TPOT <= 1
//
// (a request's tokens come one step apart, so steps come once per TPOT; the two loads are not
// summed because a step that carries both reads the weights once). A row above 1 ran something its columns do not
// record: speculative decoding, prefix-cache hits, other parallelism, fewer requests in flight
// than its concurrency. Model-independent but for the speed of light: no table or fitted constant.
import { decodeStep, prefillStep } from '../models/index.js';
import type { ServingConfig, ServingEstimatorHandle, Workload } from '../serving/index.js';
import { type SiliconRow, siliconConcurrency } from './silicon-row.js';

export interface MeasurementCheck {
  /** Share of the GPUs' speed-of-light time the measured load needs (above 1: impossible). */
  readonly solUtilisation: number;
  /** Requests decoding at any moment per rank, by Little's law on the row's own numbers. */
  readonly decodingPerRank: number;
}

/** Rows needing more than the GPUs' whole speed-of-light time did not run as recorded. */
export const SOL_UTILISATION_LIMIT = 1;

/**
 * The speed-of-light load a measured row implies (see the file comment). Aggregated rows: one
 * worker does both phases. Disaggregated rows: each role on its own workers, the larger of the two
 * loads. Undefined where the row does not record what it takes: its clients, a TPOT over one
 * token and, disaggregated, both worker counts (a check of an assumed deployment says nothing of
 * the measurement).
 */
export function checkMeasurement(
  row: SiliconRow,
  config: ServingConfig,
  estimator: Pick<ServingEstimatorHandle, 'engine' | 'decodeEngine'>,
  workload: Workload,
): MeasurementCheck | undefined {
  const recordsWorkers = row.prefill_num_workers !== undefined && row.decode_num_workers !== undefined;
  if (config.mode === 'static' || config.clients === undefined || workload.osl < 2) return undefined;
  if (siliconConcurrency(row) === undefined || (config.mode === 'disagg' && !recordsWorkers))
    return undefined;
  const ttft = row.silicon_ttft_ms;
  const tpot = row.silicon_tpot_ms;
  if (!(ttft > 0 && tpot > 0)) return undefined;
  const decodeMs = (workload.osl - 1) * tpot;
  const requestsPerMs = config.clients / (ttft + decodeMs);
  const kvLen = Math.round(workload.isl + workload.osl / 2);
  // A request computes only the prompt tokens it did not find cached.
  const cached = Math.min(workload.prefix, workload.isl - 1);
  const promptStep = prefillStep(1, workload.isl - cached, cached);
  if (config.mode === 'agg') {
    const ranks = config.parallel.attentionDp;
    const perRank = requestsPerMs / ranks;
    const decoding = Math.max(1, perRank * decodeMs);
    const prefillSol = estimator.engine.stepLatency(config.parallel, promptStep).solMs;
    const decodeSol = estimator.engine.stepLatency(
      config.parallel,
      decodeStep(Math.round(decoding), kvLen),
    ).solMs;
    return { solUtilisation: Math.max(perRank * prefillSol, decodeSol / tpot), decodingPerRank: decoding };
  }
  const { prefill, decode } = config;
  const prefillRanks = prefill.workers * prefill.parallel.attentionDp;
  const decodeRanks = decode.workers * decode.parallel.attentionDp;
  const prefillSol = estimator.engine.stepLatency(prefill.parallel, promptStep).solMs;
  const decoding = Math.max(1, (requestsPerMs * decodeMs) / decodeRanks);
  const decodeSol = estimator.decodeEngine.stepLatency(
    decode.parallel,
    decodeStep(Math.round(decoding), kvLen),
  ).solMs;
  return {
    solUtilisation: Math.max((requestsPerMs / prefillRanks) * prefillSol, decodeSol / tpot),
    decodingPerRank: decoding,
  };
}
