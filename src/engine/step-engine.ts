// Step latencies of one model on one system for any parallel layout and step shape, cached by key:
// the serving simulation and the search ask for the same steps over and over.
import type { SystemSpec } from '../hardware/index.js';
import {
  decomposeStep,
  type ModelOp,
  type ModelSpec,
  type ParallelConfig,
  pipelineHops,
  prefixedShareOf,
  type QuantConfig,
  type StepShape,
  validateParallel,
} from '../models/index.js';
import type { MoeRouting, PerfDatabase } from '../perfdb/index.js';
import { type BackendProfile, pricesLaunchCost } from './backend-profile.js';
import { FastStepPricer } from './fast-step-pricer.js';
import { type MemoryBreakdown, memoryPerGpu } from './memory-model.js';
import {
  launchProfile,
  prefixAttentionMultiplier,
  priceStep,
  type StepLatency,
  withLaunchCost,
} from './step-latency.js';

export interface StepEngineOptions {
  readonly model: ModelSpec;
  readonly system: SystemSpec;
  readonly db: PerfDatabase;
  readonly quant: QuantConfig;
  readonly profile: BackendProfile;
  readonly moeDistribution?: MoeRouting;
}

function parallelKey(p: ParallelConfig): string {
  return `${p.tp},${p.pp},${p.attentionDp},${p.moeTp},${p.moeEp}`;
}

/**
 * With pipeline parallelism the batch is split into pp micro-batches that flow through the
 * stages together; in steady state a round (every micro-batch one step further) takes the
 * full-model time of one micro-batch. Ops are priced for the whole model at the micro-batch.
 */
function microBatch(step: StepShape, pp: number): StepShape {
  if (pp <= 1) return step;
  return {
    ...step,
    ctxRequests: step.ctxRequests > 0 ? Math.ceil(step.ctxRequests / pp) : 0,
    genRequests: step.genRequests > 0 ? Math.ceil(step.genRequests / pp) : 0,
  };
}

export class StepEngine {
  readonly options: StepEngineOptions;
  /** One step timer (and its pricer's caches) per layout and decode tokens per request. */
  private readonly timers = new Map<string, (step: StepShape) => number>();
  /** Step pricers by layout without pp (see pricer). */
  private readonly pricers = new Map<string, FastStepPricer>();

  /** GPUs one NVLink domain holds: pipeline hops between domains take the inter-node link. */
  private readonly linkDomainGpus: number;

  constructor(options: StepEngineOptions) {
    this.options = options;
    const node = options.system.node;
    this.linkDomainGpus = node.gpus_per_nvlink_domain ?? node.gpus_per_node;
  }

  /** The ops the engine actually runs for a step: fused elementwise ops removed. */
  private ops(parallel: ParallelConfig, step: StepShape): ModelOp[] {
    const { model, quant, profile, moeDistribution } = this.options;
    const ops = decomposeStep(model, parallel, quant, step, {
      lmHead: profile.lmHead,
      fusedNormQuant: profile.fusesNormQuant,
      fuseSharedExpert: profile.fusesSharedExpert,
      gpusPerLinkDomain: this.linkDomainGpus,
      ...(moeDistribution ? { moeDistribution } : {}),
    });
    const fused = profile.fusedElementwise;
    return fused.length === 0
      ? ops
      : ops.filter((op) => op.query.kind !== 'elementwise' || !fused.includes(op.query.op));
  }

  /** Full breakdown of one step (exact; for --detail, reports and provenance). */
  stepLatency(parallel: ParallelConfig, step: StepShape): StepLatency {
    const ops = this.ops(parallel, microBatch(step, parallel.pp));
    const { graphGapMs, eagerLaunchMs, eagerGapMs, sustainedComputeFactor, prefixAttentionFactor } =
      this.options.profile;
    const multiplier = prefixAttentionMultiplier(prefixAttentionFactor, prefixedShareOf(step));
    const gpu = priceStep(ops, this.options.db, sustainedComputeFactor, multiplier);
    const launch = launchProfile(ops, eagerLaunchMs, eagerGapMs);
    const totalMs = withLaunchCost(
      gpu.totalMs,
      launch.instances,
      launch.eagerHostMs,
      step.ctxRequests > 0 || !this.options.profile.cudaGraphs,
      graphGapMs,
      launch.eagerGpuGapMs,
    );
    return { ...gpu, totalMs, launchOverheadMs: totalMs - gpu.totalMs };
  }

  /**
   * A step-latency function for one layout (steps with `genTokensPerRequest` decode tokens per
   * request): wall time of a scheduler step, ms, GPU time plus the engine's per-step host
   * overhead. Cached; hand it to simulations that call it thousands of times.
   */
  stepTimer(parallel: ParallelConfig, genTokensPerRequest: number): (step: StepShape) => number {
    const key = `${parallelKey(parallel)}|${genTokensPerRequest}`;
    let timer = this.timers.get(key);
    if (!timer) {
      timer = this.newTimer(parallel, genTokensPerRequest);
      this.timers.set(key, timer);
    }
    return timer;
  }

  /**
   * The pricer of a layout's steps without its pipeline hops: layouts differing only in pp share
   * it (and its caches), the hops being the only ops pp changes.
   */
  private pricer(parallel: ParallelConfig, genTokensPerRequest: number): FastStepPricer {
    const stage: ParallelConfig = { ...parallel, pp: 1 };
    const key = `${parallelKey(stage)}|${genTokensPerRequest}`;
    let pricer = this.pricers.get(key);
    if (!pricer) {
      const { profile, db } = this.options;
      pricer = new FastStepPricer(stage, db, (p, s) => this.ops(p, s), genTokensPerRequest, profile);
      this.pricers.set(key, pricer);
    }
    return pricer;
  }

  private newTimer(parallel: ParallelConfig, genTokensPerRequest: number): (step: StepShape) => number {
    const { profile, model } = this.options;
    // The shared pricer decomposes at pp 1: the layout itself (its pp) is checked here.
    validateParallel(model, parallel);
    const fast = this.pricer(parallel, genTokensPerRequest);
    const { stepOverheadMs, graphGapMs, overlapsHostWork } = profile;
    const withHostWork = (ms: number) =>
      overlapsHostWork ? Math.max(ms, stepOverheadMs) : ms + stepOverheadMs;
    const hasLaunchCost = pricesLaunchCost(profile);
    const pp = parallel.pp;
    const hops = pipelineHops(parallel, this.linkDomainGpus);
    const crossSpan = 2 * this.linkDomainGpus;
    // Op instances and eager launch costs of steps with / without prefill and decode parts.
    const launchCounts: (ReturnType<typeof launchProfile> | undefined)[] = [];
    const launches = (hasCtx: boolean, hasGen: boolean) => {
      const key = (hasCtx ? 2 : 0) + (hasGen ? 1 : 0);
      let value = launchCounts[key];
      if (value === undefined) {
        const step: StepShape = {
          ctxRequests: hasCtx ? 1 : 0,
          ctxTokens: hasCtx ? 64 : 0,
          ctxPrefix: 0,
          genRequests: hasGen ? 1 : 0,
          genKvLen: hasGen ? 64 : 0,
          genTokensPerRequest,
        };
        value = launchProfile(this.ops(parallel, step), profile.eagerLaunchMs, profile.eagerGapMs);
        launchCounts[key] = value;
      }
      return value;
    };
    return (step) => {
      const shape = microBatch(step, pp);
      let gpuMs = fast.stepMs(shape);
      if (pp > 1) {
        const tokens = shape.ctxRequests * shape.ctxTokens + shape.genRequests * shape.genTokensPerRequest;
        if (hops.inDomain > 0) gpuMs += hops.inDomain * fast.pipelineHopMs(tokens, 2);
        if (hops.crossDomain > 0) gpuMs += hops.crossDomain * fast.pipelineHopMs(tokens, crossSpan);
      }
      if (!hasLaunchCost) return withHostWork(gpuMs);
      const hasCtx = shape.ctxRequests > 0;
      const launch = launches(hasCtx, shape.genRequests > 0);
      const eager = hasCtx || !profile.cudaGraphs;
      return withHostWork(
        withLaunchCost(gpuMs, launch.instances, launch.eagerHostMs, eager, graphGapMs, launch.eagerGpuGapMs),
      );
    };
  }

  /** Wall time of one scheduler step, ms (see stepTimer). */
  stepMs(parallel: ParallelConfig, step: StepShape): number {
    return this.stepTimer(parallel, step.genTokensPerRequest)(step);
  }

  /** `seqLen`: tokens one request holds at most (sizes sliding-window layers); 0 = unknown. */
  memory(parallel: ParallelConfig, kvTokens: number, stepTokens: number, seqLen = 0): MemoryBreakdown {
    const { model, quant, system, profile } = this.options;
    return memoryPerGpu(model, parallel, quant, system, profile, kvTokens, stepTokens, seqLen);
  }
}
