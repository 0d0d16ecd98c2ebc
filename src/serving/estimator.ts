// The serving estimates: static batches, aggregated in-flight batching (simulated), and
// disaggregated prefill/decode (rate matching + queueing), from the step engine's latencies.
import { InfeasibleError, InvalidConfigError } from '../common/index.js';
import {
  type Backend,
  type BackendProfile,
  backendProfile,
  type EngineSettings,
  emptyProvenanceMs,
  StepEngine,
  type StepLatency,
} from '../engine/index.js';
import type { SystemSpec } from '../hardware/index.js';
import {
  decodeStep,
  gpusPerWorker,
  kvBytesPerTokenPerGpu,
  type ModelSpec,
  prefillStep,
  type QuantConfig,
  type StepShape,
  validateParallel,
} from '../models/index.js';
import type { MoeRouting, PerfDatabase } from '../perfdb/index.js';
import { arrivalLagSteps, simulateAgg } from './agg-simulation.js';
import { simulateDisagg } from './disagg-simulation.js';
import { meanWaitMdc } from './queueing.js';
import type {
  AggConfig,
  DisaggConfig,
  Estimator,
  MemoryFit,
  ProvenanceShares,
  ServingConfig,
  ServingMetrics,
  StaticConfig,
  WorkerParallel,
  Workload,
} from './serving-types.js';

export interface RoleSystem {
  readonly system: SystemSpec;
  readonly db: PerfDatabase;
}

export interface EstimatorOptions {
  readonly model: ModelSpec;
  readonly system: SystemSpec;
  readonly db: PerfDatabase;
  readonly quant: QuantConfig;
  readonly backend: Backend;
  /** Decode workers of a disaggregated deployment on other hardware. */
  readonly decode?: RoleSystem;
  /** Benchmark length in waves of `clients` requests (agg simulation). */
  readonly waves?: number;
  /** Request lengths uniform in [lengthRatio, 1] x nominal (1 = fixed lengths). */
  readonly lengthRatio?: number;
  /** MoE routing skew assumed by the MoE op. */
  readonly moeDistribution?: MoeRouting;
  /** Engine settings that differ from the backend's defaults (CUDA graphs off). */
  readonly engine?: EngineSettings;
}

// The assumed benchmark client: closed loop at the given concurrency, ten times as many requests
// as clients, lengths uniform in [0.8, 1] x nominal (the InferenceMAX-style setup behind most
// published serving numbers). Override per estimate with EstimatorOptions.
const DEFAULT_WAVES = 10;
const DEFAULT_LENGTH_RATIO = 0.8;
const MAX_SIMULATED_REQUESTS = 1000;

/**
 * Requests a closed-loop simulation sends: the client's waves x clients, capped for speed, but never
 * fewer than two rounds of clients, or TTFT under a deep queue would stop growing with the clients.
 */
function simulatedRequests(clients: number, waves: number): number {
  const all = Math.max(1, Math.round(clients * waves));
  return Math.min(all, Math.max(MAX_SIMULATED_REQUESTS, 2 * clients));
}
/** Headroom a rate-matched disaggregated replica keeps so prefill queues stay finite. */
const DISAGG_RATE_DERATE = 0.92;

/** Most draft tokens per step priced (engines run 1-4 MTP draft tokens; beyond that acceptance collapses). */
export const MAX_NEXTN = 8;

/**
 * What the model itself rules out: speculating without MTP layers (a separate draft model's cost is
 * not modelled, so it would come free) and requests longer than its context window.
 */
export function checkWorkload(model: ModelSpec, workload: Workload): void {
  if (workload.nextn > 0 && model.nextnLayers === 0) {
    throw new InvalidConfigError(
      `nextn ${workload.nextn}: ${model.id} has no MTP layers, and speculation with a separate draft model is not modelled; drop --nextn`,
    );
  }
  if (workload.nextn > MAX_NEXTN) {
    throw new InvalidConfigError(
      `nextn ${workload.nextn} is more than the ${MAX_NEXTN} draft tokens per step priced`,
    );
  }
  const window = model.maxPositionEmbeddings;
  if (window !== undefined && workload.isl + workload.osl > window) {
    throw new InvalidConfigError(
      `isl ${workload.isl} + osl ${workload.osl} = ${workload.isl + workload.osl} tokens exceeds ${model.id}'s context window of ${window} (max_position_embeddings); shorten the request or use a config whose window covers it`,
    );
  }
}

/** Output tokens after the first (at least one: the decode phase is never empty in the maths). */
function tokensAfterFirst(workload: Workload): number {
  return Math.max(1, workload.osl - 1);
}

function shares(msByProvenance: Record<keyof ProvenanceShares, number>): ProvenanceShares {
  const total = Object.values(msByProvenance).reduce((a, b) => a + b, 0);
  const out = emptyProvenanceMs();
  if (total <= 0) return out;
  for (const key of Object.keys(out) as (keyof ProvenanceShares)[]) out[key] = msByProvenance[key] / total;
  return out;
}

class ServingEstimator implements Estimator {
  readonly engine: StepEngine;
  readonly decodeEngine: StepEngine;
  private readonly options: EstimatorOptions;
  /** The engine behaviour estimates assume: the backend's profile with the settings applied. */
  readonly profile: BackendProfile;
  private readonly breakdownCache = new Map<string, StepLatency>();

  constructor(options: EstimatorOptions) {
    this.options = options;
    this.profile = backendProfile(options.backend, options.engine);
    const shared = {
      model: options.model,
      quant: options.quant,
      profile: this.profile,
      ...(options.moeDistribution ? { moeDistribution: options.moeDistribution } : {}),
    };
    this.engine = new StepEngine({ ...shared, system: options.system, db: options.db });
    this.decodeEngine = options.decode
      ? new StepEngine({ ...shared, system: options.decode.system, db: options.decode.db })
      : this.engine;
  }

  checkParallel(parallel: WorkerParallel): string | undefined {
    try {
      validateParallel(this.options.model, parallel);
      return undefined;
    } catch (error) {
      if (error instanceof InvalidConfigError) return error.message;
      throw error;
    }
  }

  fits(
    parallel: WorkerParallel,
    batchSize: number,
    workload: Workload,
    role: 'agg' | 'prefill' | 'decode' = 'agg',
  ): MemoryFit {
    const engine = role === 'decode' ? this.decodeEngine : this.engine;
    const perRank = Math.ceil(batchSize / parallel.attentionDp);
    const kvTokens = role === 'prefill' ? perRank * workload.isl : perRank * (workload.isl + workload.osl);
    const stepTokens =
      role === 'decode'
        ? perRank * (1 + workload.nextn)
        : Math.max(this.profile.defaultCtxTokens, role === 'prefill' ? perRank * workload.isl : 0);
    const seqLen = role === 'prefill' ? workload.isl : workload.isl + workload.osl;
    const mem = engine.memory(parallel, kvTokens, stepTokens, seqLen);
    return { fits: mem.fits, memBytesPerGpu: mem.totalBytes, capacityBytesPerGpu: mem.capacityBytes };
  }

  estimate(config: ServingConfig, workload: Workload): ServingMetrics {
    checkWorkload(this.options.model, workload);
    if (config.mode === 'agg') return this.estimateAgg(config, workload);
    if (config.mode === 'disagg') return this.estimateDisagg(config, workload);
    return this.estimateStatic(config, workload);
  }

  private requireFit(
    parallel: WorkerParallel,
    batchSize: number,
    workload: Workload,
    role: 'agg' | 'prefill' | 'decode',
  ): number {
    const reason = this.checkParallel(parallel);
    if (reason) throw new InvalidConfigError(reason);
    const fit = this.fits(parallel, batchSize, workload, role);
    if (!fit.fits) {
      const gib = (b: number) => (b / 2 ** 30).toFixed(1);
      const usable = fit.capacityBytesPerGpu * this.profile.memFraction;
      const largest = this.largestFittingBatch(parallel, batchSize, workload, role);
      const advice =
        largest > 0
          ? `at most batch ${largest} fits this layout; or raise tp/pp, or quantise the KV cache`
          : 'not even one request fits: raise tp/pp, quantise weights and KV cache, or shorten isl/osl';
      throw new InfeasibleError(
        `${role} worker tp=${parallel.tp} pp=${parallel.pp} dp=${parallel.attentionDp} with batch ${batchSize} needs ` +
          `${gib(fit.memBytesPerGpu)} GiB per GPU but ${gib(usable)} GiB are usable; ${advice}`,
      );
    }
    return fit.memBytesPerGpu;
  }

  /** Largest batch (a multiple of the attention-DP ranks) up to `batchSize` that fits; 0 if none. */
  largestFittingBatch(
    parallel: WorkerParallel,
    batchSize: number,
    workload: Workload,
    role: 'agg' | 'prefill' | 'decode',
  ): number {
    const ranks = parallel.attentionDp;
    if (!this.fits(parallel, ranks, workload, role).fits) return 0;
    let lo = 1; // in units of `ranks`; lo fits, hi does not (unless hi is the whole batch)
    let hi = Math.max(1, Math.floor(batchSize / ranks));
    if (this.fits(parallel, hi * ranks, workload, role).fits) return hi * ranks;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.fits(parallel, mid * ranks, workload, role).fits) lo = mid;
      else hi = mid;
    }
    return lo * ranks;
  }

  private tokensPerDecodeStep(workload: Workload): number {
    return workload.nextn > 0 ? 1 + Math.min(workload.nextnAccept, workload.nextn) : 1;
  }

  private ctxStep(requests: number, workload: Workload, ctxTokens?: number): StepShape {
    const tokens = ctxTokens ?? Math.max(1, workload.isl - workload.prefix);
    return prefillStep(requests, tokens, workload.prefix, 1 + workload.nextn);
  }

  private genStep(requests: number, kvLen: number, workload: Workload): StepShape {
    return decodeStep(requests, Math.max(1, Math.round(kvLen)), 1 + workload.nextn);
  }

  /** Breakdown of a representative step, cached (provenance and power of the estimate). */
  private breakdown(engine: StepEngine, parallel: WorkerParallel, step: StepShape): StepLatency {
    const key = `${engine === this.engine ? 'p' : 'd'}|${JSON.stringify(parallel)}|${JSON.stringify(step)}`;
    let value = this.breakdownCache.get(key);
    if (!value) {
      value = engine.stepLatency(parallel, step);
      this.breakdownCache.set(key, value);
    }
    return value;
  }

  private blend(
    ctx: StepLatency,
    ctxWeightMs: number,
    gen: StepLatency,
    genWeightMs: number,
  ): { provenance: ProvenanceShares; powerW?: number } {
    const ms = emptyProvenanceMs();
    const wc = ctx.totalMs > 0 ? ctxWeightMs / ctx.totalMs : 0;
    const wg = gen.totalMs > 0 ? genWeightMs / gen.totalMs : 0;
    for (const key of Object.keys(ms) as (keyof ProvenanceShares)[]) {
      ms[key] = ctx.msByProvenance[key] * wc + gen.msByProvenance[key] * wg;
    }
    const powerW =
      ctx.powerW !== undefined && gen.powerW !== undefined
        ? (ctx.powerW * ctxWeightMs + gen.powerW * genWeightMs) / Math.max(1e-9, ctxWeightMs + genWeightMs)
        : undefined;
    return powerW === undefined ? { provenance: shares(ms) } : { provenance: shares(ms), powerW };
  }

  private finish(
    base: Omit<
      ServingMetrics,
      'requestLatencyMs' | 'tokensPerSPerUser' | 'tokensPerSPerGpu' | 'powerWPerGpu' | 'energyJPerToken'
    >,
    workload: Workload,
    powerW: number | undefined,
  ): ServingMetrics {
    const requestLatencyMs = base.ttftMs + base.tpotMs * Math.max(0, workload.osl - 1);
    const metrics: ServingMetrics = {
      ...base,
      requestLatencyMs,
      tokensPerSPerUser: base.tpotMs > 0 ? 1000 / base.tpotMs : 0,
      tokensPerSPerGpu: base.tokensPerS / base.gpusPerReplica,
    };
    if (powerW === undefined || base.tokensPerS <= 0) return metrics;
    return {
      ...metrics,
      powerWPerGpu: powerW,
      energyJPerToken: (powerW * base.gpusPerReplica) / base.tokensPerS,
    };
  }

  private estimateStatic(config: StaticConfig, workload: Workload): ServingMetrics {
    const p = config.parallel;
    const memBytesPerGpu = this.requireFit(p, config.batchSize, workload, 'agg');
    const perRank = Math.ceil(config.batchSize / p.attentionDp);
    // With pp stages the batch's prompts enter as min(batch, pp) micro-batches (each priced as one
    // pass through every stage); they leave one stage time apart, so the mean prompt also waits
    // half the pipeline's fill behind the first.
    const passMs = this.engine.stepMs(p, this.ctxStep(perRank, workload));
    const microBatches = Math.min(perRank, p.pp);
    const ttftMs = passMs * (1 + (microBatches - 1) / (2 * p.pp));
    // Decode steps sampled every 32 tokens as the kv length grows over the output.
    const advance = this.tokensPerDecodeStep(workload);
    const decodeSteps = Math.max(0, Math.ceil((workload.osl - 1) / advance));
    let decodeMs = 0;
    const stride = 32;
    for (let s = 0; s < decodeSteps; s += stride) {
      const n = Math.min(stride, decodeSteps - s);
      const kv = workload.isl + 1 + (s + n / 2) * advance;
      decodeMs += n * this.engine.stepMs(p, this.genStep(perRank, kv, workload));
    }
    const tpotMs = workload.osl > 1 ? decodeMs / (workload.osl - 1) : 0;
    const totalMs = ttftMs + decodeMs;
    const tokensPerS = ((config.batchSize * workload.osl) / totalMs) * 1000;
    const blend = this.blend(
      this.breakdown(this.engine, p, this.ctxStep(perRank, workload)),
      ttftMs,
      this.breakdown(this.engine, p, this.genStep(perRank, workload.isl + workload.osl / 2, workload)),
      decodeMs,
    );
    return this.finish(
      {
        ttftMs,
        tpotMs,
        ttftParts: { overheadMs: 0, queueMs: 0, prefillMs: ttftMs, handOffMs: 0 },
        tpotParts: { decodeMs: tpotMs, prefillInterferenceMs: 0 },
        tokensPerS,
        requestsPerS: (config.batchSize / totalMs) * 1000,
        concurrency: config.batchSize,
        gpusPerReplica: gpusPerWorker(p),
        memBytesPerGpu,
        provenance: blend.provenance,
      },
      workload,
      blend.powerW,
    );
  }

  private estimateAgg(config: AggConfig, workload: Workload): ServingMetrics {
    const p = config.parallel;
    const clients = config.clients ?? config.batchSize;
    const batchSize = config.batchSize;
    // A deployment driven by explicit clients was measured running; engines page the KV cache and
    // preempt rather than refuse, so only searched configurations must fit in memory.
    const memBytesPerGpu =
      config.clients === undefined
        ? this.requireFit(p, batchSize, workload, 'agg')
        : this.fits(p, Math.min(batchSize, clients), workload, 'agg').memBytesPerGpu;
    const clientsPerRank = Math.max(1, Math.round(clients / p.attentionDp));
    const waves = this.options.waves ?? DEFAULT_WAVES;
    const sim = simulateAgg({
      concurrency: clientsPerRank,
      maxRunning: Math.max(1, Math.ceil(batchSize / p.attentionDp)),
      ctxTokens: config.ctxTokens,
      isl: workload.isl,
      osl: workload.osl,
      prefix: workload.prefix,
      tokensPerDecodeStep: this.tokensPerDecodeStep(workload),
      genTokensPerRequest: 1 + workload.nextn,
      totalRequests: simulatedRequests(clientsPerRank, waves),
      lengthRatio: this.options.lengthRatio ?? DEFAULT_LENGTH_RATIO,
      policy: this.profile.scheduler,
      overlapScheduler: this.profile.overlapsHostWork,
      chunkedPrefill: this.profile.chunkedPrefill,
      stepMs: this.engine.stepTimer(p, 1 + workload.nextn),
    });
    const running = Math.min(clientsPerRank, Math.ceil(batchSize / p.attentionDp));
    const decodeTokens = tokensAfterFirst(workload);
    const ctxPerStep = Math.min(config.ctxTokens, Math.max(1, workload.isl - workload.prefix));
    const blend = this.blend(
      this.breakdown(this.engine, p, this.ctxStep(1, workload, ctxPerStep)),
      sim.meanTtftMs,
      this.breakdown(this.engine, p, this.genStep(running, workload.isl + workload.osl / 2, workload)),
      sim.meanTpotMs * decodeTokens,
    );
    return this.finish(
      {
        ttftMs: sim.meanTtftMs + this.profile.requestOverheadMs,
        tpotMs: sim.meanTpotMs,
        ttftParts: {
          overheadMs: this.profile.requestOverheadMs,
          queueMs: sim.meanQueueMs,
          prefillMs: sim.meanPrefillMs,
          handOffMs: sim.meanHandOutMs,
        },
        tpotParts: {
          decodeMs: sim.meanTpotMs * sim.decodeShare,
          prefillInterferenceMs: sim.meanTpotMs * (1 - sim.decodeShare),
        },
        tokensPerS: sim.outputTokensPerS * p.attentionDp,
        requestsPerS: sim.requestsPerS * p.attentionDp,
        concurrency: clients,
        gpusPerReplica: gpusPerWorker(p),
        memBytesPerGpu,
        provenance: blend.provenance,
      },
      workload,
      blend.powerW,
    );
  }

  private estimateDisagg(config: DisaggConfig, workload: Workload): ServingMetrics {
    const { prefill, decode } = config;
    const memP =
      config.clients === undefined
        ? this.requireFit(prefill.parallel, prefill.batchSize, workload, 'prefill')
        : this.fits(prefill.parallel, prefill.batchSize, workload, 'prefill').memBytesPerGpu;
    const decodeBatch = decode.batchSize;
    const memD =
      config.clients === undefined
        ? this.requireFit(decode.parallel, decodeBatch, workload, 'decode')
        : this.fits(decode.parallel, decodeBatch, workload, 'decode').memBytesPerGpu;
    const pRanks = prefill.workers * prefill.parallel.attentionDp;
    const dRanks = decode.workers * decode.parallel.attentionDp;
    const pBatch = Math.max(1, Math.ceil(prefill.batchSize / prefill.parallel.attentionDp));
    const dBatchMax = Math.max(1, Math.ceil(decodeBatch / decode.parallel.attentionDp));

    // Prefill: each rank serves batches of pBatch requests; a request slot is a server.
    const prefillServiceMs = this.engine.stepMs(prefill.parallel, this.ctxStep(pBatch, workload));
    const prefillSlots = pRanks * pBatch;
    const prefillCapacityPerMs = prefillSlots / prefillServiceMs;
    // KV cache shipped from prefill to decode GPUs, each GPU its own shard, over the network.
    const kvBytes =
      kvBytesPerTokenPerGpu(this.options.model, prefill.parallel, this.options.quant) * workload.isl;
    const net = this.options.system.node;
    const transferMs = (kvBytes / net.inter_node_bandwidth_bytes_per_s + net.p2p_latency_s) * 1000;

    const decodeKv = workload.isl + workload.osl / 2;
    const decodeTokens = tokensAfterFirst(workload);
    const advance = this.tokensPerDecodeStep(workload);
    const decodeStepMs = (batch: number) =>
      this.decodeEngine.stepMs(
        decode.parallel,
        this.genStep(Math.max(1, Math.round(batch)), decodeKv, workload),
      );
    const tpotAt = (batch: number) => decodeStepMs(batch) / advance;
    // Requests per ms the decode workers finish running full batches.
    const fullDecodeCapacityPerMs = (dRanks * dBatchMax) / (tpotAt(dBatchMax) * decodeTokens);

    let ratePerMs: number;
    let dBatch: number;
    let waitMs: number;
    if (config.clients === undefined) {
      // Rate-matched steady state: decode runs full batches, prefill keeps up with headroom.
      dBatch = dBatchMax;
      ratePerMs = DISAGG_RATE_DERATE * Math.min(prefillCapacityPerMs, fullDecodeCapacityPerMs);
      waitMs = meanWaitMdc(prefillSlots, ratePerMs, prefillServiceMs);
    } else {
      // Closed loop with a fixed number of clients: solve Little's law for the arrival rate.
      const clients = config.clients;
      dBatch = Math.min(dBatchMax, Math.max(1, clients / dRanks));
      ratePerMs = clients / (prefillServiceMs + transferMs + tpotAt(dBatch) * decodeTokens);
      waitMs = 0;
      const cap = Math.min(prefillCapacityPerMs, fullDecodeCapacityPerMs) * 0.999;
      for (let i = 0; i < 40; i++) {
        dBatch = Math.min(dBatchMax, Math.max(1, (ratePerMs * tpotAt(dBatch) * (workload.osl - 1)) / dRanks));
        const w = meanWaitMdc(prefillSlots, Math.min(ratePerMs, cap), prefillServiceMs);
        waitMs = Number.isFinite(w) ? w : waitMs;
        const cycleMs = prefillServiceMs + waitMs + transferMs + tpotAt(dBatch) * decodeTokens;
        const next = Math.min(cap, clients / cycleMs);
        ratePerMs = 0.5 * ratePerMs + 0.5 * next;
      }
      // The rate and decode batch are the steady state's; the wait for prefill is played out over
      // the whole benchmark, from the opening burst of all clients at once (as the agg simulation).
      waitMs = simulateDisagg({
        clients,
        prefillSlots,
        prefillMs: prefillServiceMs,
        afterPrefillMs: transferMs + tpotAt(dBatch) * decodeTokens,
        totalRequests: Math.max(
          1,
          Math.round(Math.max(1, Math.round(clients)) * (this.options.waves ?? DEFAULT_WAVES)),
        ),
        lengthRatio: this.options.lengthRatio ?? DEFAULT_LENGTH_RATIO,
      }).meanPrefillWaitMs;
    }
    // The decode worker takes the transferred request up mid-step, after the steps it has planned,
    // and an overlap scheduler hands the first token out a step later (as in the agg simulation).
    const handOffSteps = arrivalLagSteps(this.profile.overlapsHostWork);
    const ttftParts = {
      overheadMs: this.profile.requestOverheadMs,
      queueMs: Number.isFinite(waitMs) ? waitMs : prefillServiceMs,
      prefillMs: prefillServiceMs,
      handOffMs: transferMs + handOffSteps * decodeStepMs(dBatch),
    };
    const ttftMs = ttftParts.prefillMs + ttftParts.queueMs + ttftParts.handOffMs + ttftParts.overheadMs;
    const tpotMs = tpotAt(dBatch);
    const gpusPerReplica =
      prefill.workers * gpusPerWorker(prefill.parallel) + decode.workers * gpusPerWorker(decode.parallel);
    const tokensPerS = ratePerMs * 1000 * workload.osl;
    const blend = this.blend(
      this.breakdown(this.engine, prefill.parallel, this.ctxStep(pBatch, workload)),
      ttftMs,
      this.breakdown(
        this.decodeEngine,
        decode.parallel,
        this.genStep(Math.max(1, Math.round(dBatch)), decodeKv, workload),
      ),
      tpotMs * decodeTokens,
    );
    const requestLatencyMs = ttftMs + tpotMs * Math.max(0, workload.osl - 1);
    return this.finish(
      {
        ttftMs,
        tpotMs,
        ttftParts,
        tpotParts: { decodeMs: tpotMs, prefillInterferenceMs: 0 },
        tokensPerS,
        requestsPerS: ratePerMs * 1000,
        concurrency: config.clients ?? ratePerMs * requestLatencyMs,
        gpusPerReplica,
        memBytesPerGpu: Math.max(memP, memD),
        provenance: blend.provenance,
      },
      workload,
      blend.powerW,
    );
  }
}

export type ServingEstimatorHandle = Estimator & {
  readonly profile: BackendProfile;
  readonly engine: StepEngine;
  readonly decodeEngine: StepEngine;
  /** Largest batch (a multiple of the attention-DP ranks) up to `batchSize` that fits; 0 if none. */
  largestFittingBatch(
    parallel: WorkerParallel,
    batchSize: number,
    workload: Workload,
    role: 'agg' | 'prefill' | 'decode',
  ): number;
};

export function createEstimator(options: EstimatorOptions): ServingEstimatorHandle {
  return new ServingEstimator(options);
}
