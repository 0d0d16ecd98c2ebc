// A prediction with the given TTFT and TPOT (all of TTFT prefill, all of TPOT decode), for tests
// that score predictions against measured rows without running the estimator.
import type { ServingMetrics } from '../../src/serving/index.js';

export function predictedMetrics(ttftMs: number, tpotMs: number): ServingMetrics {
  return {
    ttftMs,
    tpotMs,
    ttftParts: { overheadMs: 0, queueMs: 0, prefillMs: ttftMs, handOffMs: 0 },
    tpotParts: { decodeMs: tpotMs, prefillInterferenceMs: 0 },
    requestLatencyMs: ttftMs,
    tokensPerSPerUser: tpotMs > 0 ? 1000 / tpotMs : 0,
    tokensPerSPerGpu: 0,
    tokensPerS: 0,
    requestsPerS: 0,
    concurrency: 1,
    gpusPerReplica: 1,
    memBytesPerGpu: 0,
    provenance: { measured: 1, interpolated: 0, extrapolated: 0, empirical: 0, sol: 0 },
  };
}
