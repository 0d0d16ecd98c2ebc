// Predicted vs measured latency of whole reference steps: a model built from exactly the kernels
// the `torch` tables measure (workers/torch/reference_model.py), so the composition of op
// latencies into a step can be checked on real hardware.
import { backendProfile, StepEngine } from '../engine/index.js';
import type { SystemSpec } from '../hardware/index.js';
import { decodeStep, type ModelSpec, prefillStep, resolveQuant, type StepShape } from '../models/index.js';
import type { MoeDistribution, PerfDatabase } from '../perfdb/index.js';

export interface ReferencePoint {
  readonly tp: number;
  /** Attention data-parallel ranks (MoE models at tp 1; `batch` is per rank); default 1. */
  readonly dp?: number;
  /** mixed: one prompt chunk of `isl` tokens beside `batch` decodes at `kv` (a continuous-batching step). */
  readonly phase: 'prefill' | 'decode' | 'mixed';
  /** Requests in the step (mixed: the decoding ones). */
  readonly batch: number;
  readonly isl: number;
  readonly kv: number;
  /** Decoder layers the reference model ran (it may run fewer than the model has). */
  readonly layers: number;
  /**
   * Routing the reference model's experts followed (it draws them with the collector's
   * generator, default balanced): the moe table is queried with the same distribution.
   */
  readonly distribution?: MoeDistribution;
}

export interface ReferencePrediction {
  readonly predictedMs: number;
  /** Share of the predicted time resting on measured or interpolated table entries. */
  readonly dataShare: number;
}

/** The model with only its first `layers` decoder layers (what a shortened reference run builds). */
export function truncateLayers(model: ModelSpec, layers: number): ModelSpec {
  if (layers >= model.numLayers) return model;
  const slidingWindow = model.slidingWindow
    ? { ...model.slidingWindow, layerTypes: model.slidingWindow.layerTypes.slice(0, layers) }
    : undefined;
  const moe = model.moe
    ? { ...model.moe, firstDenseLayers: Math.min(model.moe.firstDenseLayers, layers) }
    : undefined;
  return {
    ...model,
    numLayers: layers,
    ...(slidingWindow ? { slidingWindow } : {}),
    ...(moe ? { moe } : {}),
  };
}

export function referenceStep(point: ReferencePoint): StepShape {
  if (point.phase === 'prefill') return prefillStep(point.batch, point.isl);
  if (point.phase === 'decode') return decodeStep(point.batch, point.kv);
  return { ...prefillStep(1, point.isl), genRequests: point.batch, genKvLen: point.kv };
}

/** Step latency the `torch` tables predict for a reference point (the model's own bf16 weights). */
export function predictReferenceStep(
  model: ModelSpec,
  system: SystemSpec,
  db: PerfDatabase,
  point: ReferencePoint,
): ReferencePrediction {
  const shortened = truncateLayers(model, point.layers);
  // The reference model runs bf16 random weights, whatever the checkpoint ships.
  const quant = resolveQuant(shortened, system.gpu.sm_version, {
    gemm: 'bfloat16',
    kvCache: 'bfloat16',
    fmha: 'bfloat16',
    moe: 'bfloat16',
    comm: 'bfloat16',
  });
  const engine = new StepEngine({
    model: shortened,
    system,
    db,
    quant,
    profile: backendProfile('torch'),
    moeDistribution: point.distribution ?? 'balanced',
  });
  const dp = point.dp ?? 1;
  const parallel = {
    tp: point.tp,
    pp: 1,
    attentionDp: dp,
    moeTp: shortened.moe ? 1 : point.tp,
    moeEp: shortened.moe ? point.tp * dp : 1,
  };
  const latency = engine.stepLatency(parallel, referenceStep(point));
  const p = latency.msByProvenance;
  return {
    predictedMs: latency.totalMs,
    dataShare: latency.totalMs > 0 ? (p.measured + p.interpolated) / latency.totalMs : 0,
  };
}
