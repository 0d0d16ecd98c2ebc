// Prices an op list with the perf database: the latency of one forward step, per op and in total,
// with the provenance of every number so a user can see how much of the step rests on measurement.
import type { ModelOp } from '../models/index.js';
import type { OpLatency, OpQuery, PerfDatabase, Provenance } from '../perfdb/index.js';

export interface OpTiming {
  readonly name: string;
  readonly role: ModelOp['role'];
  readonly count: number;
  /** Latency of one instance of the op. */
  readonly latencyMs: number;
  /** count * latencyMs */
  readonly totalMs: number;
  readonly solMs: number;
  readonly provenance: Provenance;
  readonly source: string;
}

export interface StepLatency {
  readonly totalMs: number;
  readonly solMs: number;
  readonly ops: readonly OpTiming[];
  /** Milliseconds of the step by provenance of the data behind them. */
  readonly msByProvenance: Readonly<Record<Provenance, number>>;
  /** Time-weighted mean power when every priced op had power data. */
  readonly powerW?: number;
  /** Launch cost beyond the ops' GPU time (graph gaps or eager host launches), included in totalMs. */
  readonly launchOverheadMs: number;
  /** Op instances (kernel launches) in the step. */
  readonly opInstances: number;
}

export function emptyProvenanceMs(): Record<Provenance, number> {
  return { measured: 0, interpolated: 0, extrapolated: 0, empirical: 0, sol: 0 };
}

/**
 * Sum of op latencies (ops run back to back on the GPU stream); compute-bound ops are stretched
 * by `sustainedComputeFactor` (clocks drop under sustained load) and full prompt attention by
 * `prefixAttentionMultiplier` (see prefixAttentionMultiplier and BackendProfile).
 */
export function priceStep(
  ops: readonly ModelOp[],
  db: PerfDatabase,
  sustainedComputeFactor = 1,
  prefixAttentionMultiplier = 1,
): StepLatency {
  const timings: OpTiming[] = [];
  const byProvenance = emptyProvenanceMs();
  let totalMs = 0;
  let solMs = 0;
  let energyMsW = 0;
  let hasPowerEverywhere = ops.length > 0;
  for (const op of ops) {
    if (op.count <= 0) continue;
    const answer: OpLatency = db.query(op.query);
    const latencyMs =
      (answer.computeBound ? answer.latencyMs * sustainedComputeFactor : answer.latencyMs) *
      (stretchedByPrefix(op.query) ? prefixAttentionMultiplier : 1);
    const opTotal = latencyMs * op.count;
    totalMs += opTotal;
    solMs += answer.solMs * op.count;
    byProvenance[answer.provenance] += opTotal;
    if (answer.powerW === undefined) hasPowerEverywhere = false;
    else energyMsW += answer.powerW * opTotal;
    timings.push({
      name: op.name,
      role: op.role,
      count: op.count,
      latencyMs,
      totalMs: opTotal,
      solMs: answer.solMs,
      provenance: answer.provenance,
      source: answer.source,
    });
  }
  const opInstances = timings.reduce((n, t) => n + t.count, 0);
  const result: StepLatency = {
    totalMs,
    solMs,
    ops: timings,
    msByProvenance: byProvenance,
    launchOverheadMs: 0,
    opInstances,
  };
  return hasPowerEverywhere && totalMs > 0 ? { ...result, powerW: energyMsW / totalMs } : result;
}

/**
 * Whether an op is the prompt attention the profile's prefixAttentionFactor was timed on: full
 * (not sliding-window) context attention. MLA and windowed layers were not timed after a prefix.
 */
export function stretchedByPrefix(query: OpQuery): boolean {
  return query.kind === 'context_attention' && query.windowSize === 0;
}

/**
 * What a step's full prompt attention is multiplied by: the factor on the share of its work that
 * continues after cached tokens (chunks run apart, each at its own speed), 1 on the rest.
 */
export function prefixAttentionMultiplier(factor: number, prefixedShare: number): number {
  return 1 + (factor - 1) * prefixedShare;
}

/**
 * Wall time of a step from its GPU time and launch costs (see BackendProfile.graphGapMs): eagerly
 * max(GPU time + eager GPU gaps, host launch time), where the eager gaps default to the graph gap
 * per op instance; from a graph GPU time + graph gaps.
 */
export function withLaunchCost(
  gpuMs: number,
  opInstances: number,
  eagerHostMs: number,
  eager: boolean,
  gapMs: number,
  eagerGpuGapMs?: number,
): number {
  const graphed = gpuMs + opInstances * gapMs;
  return eager ? Math.max(gpuMs + (eagerGpuGapMs ?? opInstances * gapMs), eagerHostMs) : graphed;
}

/** Op instances, the host time to launch them eagerly and the GPU-side gaps eager launches add. */
export function launchProfile(
  ops: readonly ModelOp[],
  eagerLaunchMs: Readonly<Record<ModelOp['query']['kind'], number>>,
  eagerGapMs?: Readonly<Record<ModelOp['query']['kind'], number>>,
): { instances: number; eagerHostMs: number; eagerGpuGapMs?: number } {
  let instances = 0;
  let eagerHostMs = 0;
  let eagerGpuGapMs = 0;
  for (const op of ops) {
    instances += op.count;
    eagerHostMs += op.count * eagerLaunchMs[op.query.kind];
    if (eagerGapMs) eagerGpuGapMs += op.count * eagerGapMs[op.query.kind];
  }
  return eagerGapMs ? { instances, eagerHostMs, eagerGpuGapMs } : { instances, eagerHostMs };
}
