// Search results for report tests, made by the real search over the hand-computable fake estimator.
import { type SearchResult, searchDeployments } from '../../src/search/index.js';
import { FakeEstimator, WORKLOAD } from '../search/fake-estimator.js';

let clock = 0;
const nowMs = () => {
  clock += 5;
  return clock;
};

export function sampleResult(overrides: { tpotMs?: number; gpuHourUsd?: number } = {}): SearchResult {
  return searchDeployments({
    estimator: new FakeEstimator(),
    totalGpus: 8,
    workload: WORKLOAD,
    sla: { ttftMs: 1500, tpotMs: overrides.tpotMs ?? 20 },
    parallelSpace: { tpValues: [1, 2, 4], ppValues: [1] },
    batchLadder: [1, 2, 4, 8, 16],
    ctxTokensChoices: [4096],
    ...(overrides.gpuHourUsd !== undefined ? { gpuHourUsd: overrides.gpuHourUsd } : {}),
    nowMs,
  });
}
