// Human-readable descriptions of evaluated deployments (parallelism, batch, replica layout).
import { describeParallel, type EvaluatedPoint, gpusPerWorker } from '../search/index.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "8 replicas x 1 worker x 1 GPU = 8 of 8 GPUs" or the prefill + decode split for disagg. */
export function describeDeployment(point: EvaluatedPoint, totalGpus?: number): string {
  const of = totalGpus !== undefined && totalGpus !== point.gpusUsed ? ` of ${totalGpus}` : '';
  const c = point.config;
  if (c.mode === 'agg') {
    return `${plural(point.replicas, 'replica')} x 1 worker x ${plural(point.gpusPerReplica, 'GPU')} = ${point.gpusUsed}${of} GPUs`;
  }
  const p = `${c.prefill.workers} prefill x ${plural(gpusPerWorker(c.prefill.parallel), 'GPU')}`;
  const d = `${c.decode.workers} decode x ${plural(gpusPerWorker(c.decode.parallel), 'GPU')}`;
  return `${plural(point.replicas, 'replica')} x (${p} + ${d}) = ${point.gpusUsed}${of} GPUs`;
}

/** Parallelism and batch per role. */
export function describeWorkers(point: EvaluatedPoint): string {
  const c = point.config;
  if (c.mode === 'agg')
    return `${describeParallel(c.parallel)}, batch ${c.batchSize}, ctx tokens ${c.ctxTokens}`;
  return (
    `prefill ${describeParallel(c.prefill.parallel)} batch ${c.prefill.batchSize}; ` +
    `decode ${describeParallel(c.decode.parallel)} batch ${c.decode.batchSize}`
  );
}

/** Short form for tables: "8 x tp1 b4" (agg) or "1 x (10 x tp1 b1 + 1 x tp4 b128)" (disagg). */
export function describeDeploymentShort(point: EvaluatedPoint): string {
  const c = point.config;
  if (c.mode === 'agg') return `${point.replicas} x ${describeParallel(c.parallel)} b${c.batchSize}`;
  const role = (r: typeof c.prefill) => `${r.workers} x ${describeParallel(r.parallel)} b${r.batchSize}`;
  return `${point.replicas} x (${role(c.prefill)} + ${role(c.decode)})`;
}
