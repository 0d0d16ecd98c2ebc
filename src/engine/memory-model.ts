// Per-GPU memory of a worker: weights + KV cache for the tokens it holds + activations + NCCL
// buffers + framework overhead, checked against the share of GPU memory the engine may use.
import { ncclMemBytes, type SystemSpec } from '../hardware/index.js';
import {
  gpusPerWorker,
  kvBytesPerTokenPerGpu,
  type ModelSpec,
  type ParallelConfig,
  type QuantConfig,
  weightBytesPerGpu,
} from '../models/index.js';
import type { BackendProfile } from './backend-profile.js';

export interface MemoryBreakdown {
  readonly weightsBytes: number;
  readonly kvCacheBytes: number;
  readonly activationsBytes: number;
  readonly ncclBytes: number;
  readonly frameworkBytes: number;
  readonly totalBytes: number;
  /** What the engine may use: capacity * memory fraction. */
  readonly usableBytes: number;
  readonly capacityBytes: number;
  readonly fits: boolean;
  /** KV-cache tokens that would fit beside the rest (per attention-DP rank). */
  readonly maxKvTokens: number;
}

const MIN_ACTIVATION_BYTES = 70 * 2 ** 20;

/**
 * Memory of one GPU of a worker holding `kvTokens` tokens of KV cache (per attention-DP rank)
 * and running steps of at most `stepTokens` tokens.
 */
export function memoryPerGpu(
  model: ModelSpec,
  parallel: ParallelConfig,
  quant: QuantConfig,
  system: SystemSpec,
  profile: BackendProfile,
  kvTokens: number,
  stepTokens: number,
  kvTokensPerRequestHint = 0,
): MemoryBreakdown {
  const weightsBytes = weightBytesPerGpu(model, parallel, quant, {
    vocabParallel: profile.lmHead === 'vocab-parallel',
    includeMtp: model.nextnLayers > 0,
  });
  // Sliding-window layers hold at most their window: size the cache at the mean sequence held.
  const seqLen = kvTokensPerRequestHint;
  const kvPerToken = kvBytesPerTokenPerGpu(model, parallel, quant, seqLen > 0 ? { seqLen } : {});
  const kvCacheBytes = kvPerToken * kvTokens;
  // Transient activations of the widest layer for one step, in 16-bit.
  const widthPerToken =
    (2 *
      (model.moe ? Math.max(model.interSize, model.moe.expertInterSize * model.moe.topk) : model.interSize)) /
      parallel.tp +
    4 * model.hiddenSize +
    ((model.numHeads + 2 * model.numKvHeads) * model.headDim) / parallel.tp;
  const activationsBytes = Math.max(MIN_ACTIVATION_BYTES, stepTokens * widthPerToken * 2);
  const ncclBytes = ncclMemBytes(system, gpusPerWorker(parallel));
  const frameworkBytes = system.memory.framework_bytes;
  const capacityBytes = system.gpu.mem_capacity_bytes;
  const usableBytes = capacityBytes * profile.memFraction;
  const fixed = weightsBytes + activationsBytes + ncclBytes + frameworkBytes;
  const totalBytes = fixed + kvCacheBytes;
  const maxKvTokens = kvPerToken > 0 ? Math.max(0, Math.floor((usableBytes - fixed) / kvPerToken)) : Infinity;
  return {
    weightsBytes,
    kvCacheBytes,
    activationsBytes,
    ncclBytes,
    frameworkBytes,
    totalBytes,
    usableBytes,
    capacityBytes,
    fits: totalBytes <= usableBytes,
    maxKvTokens,
  };
}
