// A hand-computable Estimator for orchestration tests. With g = GPUs of a worker and b its batch:
//   static / agg: TTFT = 100 * b / g ms (agg adds 100 ms), TPOT = 10 + b / g + (g - 1) ms
//   agg: tokens/s = b * 1000 / TPOT, requests/s = tokens/s / osl, concurrency = b
//   disagg: P = bp * 1000 / TTFT_static(prefill) req/s per prefill worker,
//           D = bd * 1000 / (TPOT(decode) * (osl - 1)) req/s per decode worker,
//           requests/s = min(x P, y D), TTFT = TTFT_static(prefill), TPOT = TPOT(decode)
//   memory: a worker fits a batch b when b <= maxBatchPerGpu * g
import { InfeasibleError } from '../../src/common/index.js';
import { gpusPerWorker as gpusOf } from '../../src/models/index.js';
import type {
  Estimator,
  MemoryFit,
  ServingConfig,
  ServingMetrics,
  WorkerParallel,
  Workload,
} from '../../src/serving/index.js';

export interface FakeOptions {
  readonly maxBatchPerGpu?: number;
  /** Layouts this model refuses (besides any attention dp / moe ep > 1 when dense). */
  readonly isMoe?: boolean;
  readonly maxTp?: number;
  readonly powerWPerGpu?: number;
  /** Refuse every layout with fewer GPUs than this in `fits` (a model too big for small layouts). */
  readonly minGpusToFit?: number;
}

export interface FakeCall {
  readonly kind: 'fits' | 'estimate';
  readonly role?: string;
  readonly mode?: string;
  readonly batchSize: number;
  readonly gpus: number;
}

export const staticTtftMs = (b: number, g: number): number => (100 * b) / g;
export const tpotMs = (b: number, g: number): number => 10 + b / g + (g - 1);

const PROVENANCE = { measured: 1, interpolated: 0, extrapolated: 0, empirical: 0, sol: 0 };

export function metricsOf(
  ttftMs: number,
  tpot: number,
  tokensPerS: number,
  gpus: number,
  workload: Workload,
  concurrency: number,
  powerWPerGpu?: number,
): ServingMetrics {
  return {
    ttftMs,
    tpotMs: tpot,
    ttftParts: { overheadMs: 0, queueMs: 0, prefillMs: ttftMs, handOffMs: 0 },
    tpotParts: { decodeMs: tpot, prefillInterferenceMs: 0 },
    requestLatencyMs: ttftMs + tpot * (workload.osl - 1),
    tokensPerSPerUser: 1000 / tpot,
    tokensPerSPerGpu: tokensPerS / gpus,
    tokensPerS,
    requestsPerS: tokensPerS / workload.osl,
    concurrency,
    gpusPerReplica: gpus,
    memBytesPerGpu: 1e9,
    provenance: PROVENANCE,
    ...(powerWPerGpu !== undefined
      ? { powerWPerGpu, energyJPerToken: (powerWPerGpu * gpus) / tokensPerS }
      : {}),
  };
}

export class FakeEstimator implements Estimator {
  readonly calls: FakeCall[] = [];
  constructor(private readonly options: FakeOptions = {}) {}

  checkParallel(p: WorkerParallel): string | undefined {
    if (!this.options.isMoe && (p.attentionDp > 1 || p.moeEp > 1))
      return 'dense model: no attention dp or ep';
    if (p.tp * p.attentionDp !== p.moeTp * p.moeEp) return 'tp * dp must equal moe tp * moe ep';
    if (p.tp > (this.options.maxTp ?? 64)) return 'too many heads split';
    return undefined;
  }

  fits(
    parallel: WorkerParallel,
    batchSize: number,
    _w: Workload,
    role: 'agg' | 'prefill' | 'decode' = 'agg',
  ): MemoryFit {
    const g = gpusOf(parallel);
    this.calls.push({ kind: 'fits', role, batchSize, gpus: g });
    const fits =
      g >= (this.options.minGpusToFit ?? 1) && batchSize <= (this.options.maxBatchPerGpu ?? 16) * g;
    return { fits, memBytesPerGpu: batchSize * 1e9, capacityBytesPerGpu: 80e9 };
  }

  estimate(config: ServingConfig, workload: Workload): ServingMetrics {
    const power = this.options.powerWPerGpu;
    if (config.mode === 'disagg') {
      const gp = gpusOf(config.prefill.parallel);
      const gd = gpusOf(config.decode.parallel);
      const ttft = staticTtftMs(config.prefill.batchSize, gp);
      const tpot = tpotMs(config.decode.batchSize, gd);
      const p = (config.prefill.batchSize * 1000) / ttft;
      const d = (config.decode.batchSize * 1000) / (tpot * (workload.osl - 1));
      const rate = Math.min(config.prefill.workers * p, config.decode.workers * d);
      const gpus = config.prefill.workers * gp + config.decode.workers * gd;
      this.calls.push({ kind: 'estimate', mode: 'disagg', batchSize: config.decode.batchSize, gpus });
      return metricsOf(ttft, tpot, rate * workload.osl, gpus, workload, rate * 1, power);
    }
    const g = gpusOf(config.parallel);
    const b = config.batchSize;
    this.calls.push({ kind: 'estimate', mode: config.mode, batchSize: b, gpus: g });
    if (b > (this.options.maxBatchPerGpu ?? 16) * g) throw new InfeasibleError('does not fit');
    const tpot = tpotMs(b, g);
    const ttft = config.mode === 'agg' ? staticTtftMs(b, g) + 100 : staticTtftMs(b, g);
    return metricsOf(ttft, tpot, (b * 1000) / tpot, g, workload, b, power);
  }
}

export const WORKLOAD: Workload = { isl: 1000, osl: 101, prefix: 0, nextn: 0, nextnAccept: 0 };

/** Search options for recommend tests: agg only, a small ladder, a TTFT/TPOT SLA the fake can meet. */
export const RECOMMEND_BASE = {
  workload: WORKLOAD,
  modes: ['agg'] as const,
  parallelSpace: { tpValues: [1, 2, 4, 8], ppValues: [1] },
  batchLadder: [1, 2, 4, 6, 8, 16],
  ctxTokensChoices: [4096],
  sla: { ttftMs: 1000, tpotMs: 14 },
};
