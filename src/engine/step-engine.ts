// Step latencies of one model on one system for any parallel layout and step shape, cached by key:
// the serving simulation and the search ask for the same steps over and over.
import type { SystemSpec } from '../hardware/index.js';
import {
  decomposeStep,
  type ModelSpec,
  type ParallelConfig,
  type QuantConfig,
  type StepShape,
} from '../models/index.js';
import type { MoeDistribution, PerfDatabase } from '../perfdb/index.js';
import type { BackendProfile } from './backend-profile.js';
import { type MemoryBreakdown, memoryPerGpu } from './memory-model.js';
import { priceStep, type StepLatency } from './step-latency.js';

export interface StepEngineOptions {
  readonly model: ModelSpec;
  readonly system: SystemSpec;
  readonly db: PerfDatabase;
  readonly quant: QuantConfig;
  readonly profile: BackendProfile;
  readonly moeDistribution?: MoeDistribution;
}

function parallelKey(p: ParallelConfig): string {
  return `${p.tp},${p.pp},${p.attentionDp},${p.moeTp},${p.moeEp}`;
}

function stepKey(s: StepShape): string {
  return `${s.ctxRequests},${s.ctxTokens},${s.ctxPrefix},${s.genRequests},${s.genKvLen},${s.genTokensPerRequest}`;
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
  private readonly msCache = new Map<string, number>();

  constructor(options: StepEngineOptions) {
    this.options = options;
  }

  /** Full breakdown of one step (not cached: for --detail and reports). */
  stepLatency(parallel: ParallelConfig, step: StepShape): StepLatency {
    const { model, quant, db, profile, moeDistribution } = this.options;
    const ops = decomposeStep(model, parallel, quant, microBatch(step, parallel.pp), {
      lmHead: profile.lmHead,
      ...(moeDistribution ? { moeDistribution } : {}),
    });
    return priceStep(ops, db);
  }

  /** Wall time of one scheduler step, ms (GPU time + the engine's per-step host overhead); cached. */
  stepMs(parallel: ParallelConfig, step: StepShape): number {
    const key = `${parallelKey(parallel)}|${stepKey(step)}`;
    let ms = this.msCache.get(key);
    if (ms === undefined) {
      ms = this.stepLatency(parallel, step).totalMs + this.options.profile.stepOverheadMs;
      this.msCache.set(key, ms);
    }
    return ms;
  }

  memory(parallel: ParallelConfig, kvTokens: number, stepTokens: number): MemoryBreakdown {
    const { model, quant, system, profile } = this.options;
    return memoryPerGpu(model, parallel, quant, system, profile, kvTokens, stepTokens);
  }

  get cachedSteps(): number {
    return this.msCache.size;
  }
}
