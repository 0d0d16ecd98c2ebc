// The facts about a model that the op decomposition and the memory model need, validated by zod:
// the catalog files in data/models/ and anything parsed from a Hugging Face config.json.
import { z } from 'zod';
import { DTYPES } from '../common/index.js';

/** Structural families the decomposition knows. GPT-OSS is 'moe' with sliding-window layers. */
export const ARCHITECTURES = ['dense', 'moe', 'deepseek'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const LAYER_ATTENTION_TYPES = ['full', 'sliding'] as const;
export type LayerAttentionType = (typeof LAYER_ATTENTION_TYPES)[number];

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

const dtypeSchema = z.enum(DTYPES);

export const QuantConfigSchema = z.object({
  gemm: dtypeSchema,
  kvCache: dtypeSchema,
  fmha: dtypeSchema,
  moe: dtypeSchema,
  comm: dtypeSchema,
});
/** Per-component numeric formats of one deployment. */
export type QuantConfig = Readonly<z.infer<typeof QuantConfigSchema>>;

export const SlidingWindowSchema = z.object({
  size: positiveInt,
  /** One entry per decoder layer, in order. */
  layerTypes: z.array(z.enum(LAYER_ATTENTION_TYPES)).readonly(),
});

export const MoeSpecSchema = z.object({
  numExperts: positiveInt,
  topk: positiveInt,
  expertInterSize: positiveInt,
  numSharedExperts: nonNegativeInt,
  /** Intermediate size of ONE shared expert (0 when there are none). */
  sharedInterSize: nonNegativeInt,
  /** Leading decoder layers that use a dense MLP instead of experts (DeepSeek: 3). */
  firstDenseLayers: nonNegativeInt,
  /** Intermediate size of those dense layers; defaults to the model's interSize. */
  denseInterSize: positiveInt.optional(),
});

export const MlaSpecSchema = z.object({
  /** 0 means no low-rank query compression (q projected straight from the hidden state). */
  qLoraRank: nonNegativeInt,
  kvLoraRank: positiveInt,
  qkRopeHeadDim: positiveInt,
  qkNopeHeadDim: positiveInt,
  vHeadDim: positiveInt,
});

export const ModelSpecSchema = z
  .object({
    id: z.string().min(1),
    architecture: z.enum(ARCHITECTURES),
    hfArchitecture: z.string().min(1),
    hiddenSize: positiveInt,
    numLayers: positiveInt,
    numHeads: positiveInt,
    numKvHeads: positiveInt,
    headDim: positiveInt,
    /** Dense MLP intermediate size (for MoE models: the config's intermediate_size). */
    interSize: positiveInt,
    vocabSize: positiveInt,
    tieWordEmbeddings: z.boolean(),
    /** RMSNorm on q and k (Qwen3, MiniMax-M2). */
    qkNorm: z.boolean().default(false),
    /**
     * The q/k RMSNorm spans the whole projection rather than each head (MiniMax-M2's
     * qk_norm_type per_layer): under tp > 1 each token's variance is summed across ranks.
     */
    qkNormAcrossHeads: z.boolean().optional(),
    slidingWindow: SlidingWindowSchema.optional(),
    moe: MoeSpecSchema.optional(),
    mla: MlaSpecSchema.optional(),
    nextnLayers: nonNegativeInt,
    checkpointQuant: QuantConfigSchema.partial().optional(),
    /** Context window (max_position_embeddings); absent when the config does not say. */
    maxPositionEmbeddings: positiveInt.optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.architecture === 'moe' && !spec.moe) {
      ctx.addIssue({ code: 'custom', path: ['moe'], message: "architecture 'moe' needs a 'moe' block" });
    }
    if (spec.architecture === 'deepseek' && (!spec.moe || !spec.mla)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mla'],
        message: "architecture 'deepseek' needs both 'moe' and 'mla' blocks",
      });
    }
    if (spec.architecture === 'dense' && spec.moe) {
      ctx.addIssue({ code: 'custom', path: ['moe'], message: "a 'dense' model cannot have a 'moe' block" });
    }
    if (spec.slidingWindow && spec.slidingWindow.layerTypes.length !== spec.numLayers) {
      ctx.addIssue({
        code: 'custom',
        path: ['slidingWindow', 'layerTypes'],
        message: `has ${spec.slidingWindow.layerTypes.length} entries but the model has ${spec.numLayers} layers`,
      });
    }
    if (spec.moe && spec.moe.topk > spec.moe.numExperts) {
      ctx.addIssue({
        code: 'custom',
        path: ['moe', 'topk'],
        message: `${spec.moe.topk} exceeds the ${spec.moe.numExperts} experts`,
      });
    }
    if (spec.moe && spec.moe.firstDenseLayers > spec.numLayers) {
      ctx.addIssue({
        code: 'custom',
        path: ['moe', 'firstDenseLayers'],
        message: `${spec.moe.firstDenseLayers} exceeds the ${spec.numLayers} layers`,
      });
    }
    if (spec.numHeads % spec.numKvHeads !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['numKvHeads'],
        message: `${spec.numKvHeads} does not divide ${spec.numHeads} heads`,
      });
    }
  });

export type ModelSpec = Readonly<z.infer<typeof ModelSpecSchema>>;

/** A catalog entry on disk: the spec plus the other names it answers to and where it came from. */
export const CatalogEntrySchema = z.object({
  spec: ModelSpecSchema,
  aliases: z.array(z.string().min(1)).default([]),
  /** The config file the facts were taken from (informational). */
  source: z.string().default(''),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

/** Known checkpoints whose architecture cannot be modelled yet, with the reason. */
export const UnsupportedEntrySchema = z.object({
  id: z.string().min(1),
  hfArchitecture: z.string(),
  reason: z.string().min(1),
});
export const UnsupportedListSchema = z.array(UnsupportedEntrySchema);
export type UnsupportedEntry = z.infer<typeof UnsupportedEntrySchema>;

/** Attention family for display: MLA, SWA (some sliding-window layers), MHA or GQA. */
export function attentionType(spec: ModelSpec): 'MLA' | 'SWA' | 'MHA' | 'GQA' {
  if (spec.mla) return 'MLA';
  if (spec.slidingWindow?.layerTypes.includes('sliding')) return 'SWA';
  return spec.numKvHeads === spec.numHeads ? 'MHA' : 'GQA';
}
