// The few facts of a model that the torch reference runner (workers/torch) needs, taken from
// the models layer's spec so the collector keeps no model dimensions of its own.
import type { ModelSpec } from '../models/index.js';

export interface ModelShape {
  readonly id: string;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly interSize: number;
  readonly vocabSize: number;
  readonly moe?: { readonly numExperts: number; readonly topk: number; readonly expertInterSize: number };
  /** Sliding window of the windowed layers (GPT-OSS alternates windowed and full layers). */
  readonly slidingWindow?: number;
  /** Per-head RMSNorm of q and k before rope (Qwen3): the op list prices it as `qk_norm`. */
  readonly qkNorm?: boolean;
}

export function modelShapeOf(spec: ModelSpec): ModelShape {
  return {
    id: spec.id,
    hiddenSize: spec.hiddenSize,
    numLayers: spec.numLayers,
    numHeads: spec.numHeads,
    numKvHeads: spec.numKvHeads,
    headDim: spec.headDim,
    interSize: spec.interSize,
    vocabSize: spec.vocabSize,
    ...(spec.moe
      ? {
          moe: {
            numExperts: spec.moe.numExperts,
            topk: spec.moe.topk,
            expertInterSize: spec.moe.expertInterSize,
          },
        }
      : {}),
    ...(spec.slidingWindow ? { slidingWindow: spec.slidingWindow.size } : {}),
    ...(spec.qkNorm ? { qkNorm: true } : {}),
  };
}
