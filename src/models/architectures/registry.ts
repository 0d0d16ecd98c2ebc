// The architecture registry: HF `architectures` name -> parser. Adding a structurally known
// architecture is one entry here (or one new parser file); see docs/models.md.
import type { ArchitectureParser } from './architecture-parser.js';
import { DEEPSEEK_V3_PARSER } from './deepseek-v3.js';
import { LLAMA_LIKE_PARSER, QWEN3_PARSER } from './dense-decoder.js';
import { GPT_OSS_PARSER, MINIMAX_M2_PARSER, MIXTRAL_PARSER, QWEN_MOE_PARSER } from './moe-decoder.js';
import { STEP_FLASH_PARSER } from './step-flash.js';

const PARSERS: readonly ArchitectureParser[] = [
  LLAMA_LIKE_PARSER,
  QWEN3_PARSER,
  QWEN_MOE_PARSER,
  MIXTRAL_PARSER,
  MINIMAX_M2_PARSER,
  GPT_OSS_PARSER,
  DEEPSEEK_V3_PARSER,
  STEP_FLASH_PARSER,
];

const BY_NAME = new Map<string, ArchitectureParser>(
  PARSERS.flatMap((p) => p.hfArchitectures.map((name) => [name, p] as const)),
);

export function findParser(hfArchitecture: string): ArchitectureParser | undefined {
  return BY_NAME.get(hfArchitecture);
}

/** Every supported `architectures` value, sorted (for error messages and docs). */
export function supportedHfArchitectures(): string[] {
  return [...BY_NAME.keys()].sort();
}

/**
 * Architectures we know and cannot model yet, with the reason: the perf database has no op for
 * their attention (linear, sparse, compressed) or their layers are heterogeneous.
 */
export const UNSUPPORTED_ARCHITECTURES: Readonly<Record<string, string>> = {
  Qwen3_5MoeForConditionalGeneration:
    'hybrid attention: 3 of 4 layers use Gated DeltaNet linear attention, which has no op in the perf database',
  Qwen3_5ForConditionalGeneration:
    'hybrid attention: 3 of 4 layers use Gated DeltaNet linear attention, which has no op in the perf database',
  GlmMoeDsaForCausalLM:
    'DeepSeek sparse attention (lightning indexer, top-2048 keys) on MLA with 256-dim q/k/v heads; the MLA tables cover only the DeepSeek-V3 head layout',
  DeepseekV32ForCausalLM:
    'DeepSeek sparse attention (lightning indexer selecting 2048 keys per query) is not modelled; dense MLA would overstate long-context attention cost',
  DeepseekV4ForCausalLM:
    'compressed sparse attention (per-layer compress ratios, hash-routed layers, hyper-connections) is not modelled',
  NemotronHForCausalLM: 'hybrid Mamba-2 state-space layers have no op in the perf database',
  KimiK3ForConditionalGeneration: 'hybrid Kimi Delta (linear) attention has no op in the perf database',
  KimiLinearForCausalLM: 'hybrid Kimi Delta (linear) attention has no op in the perf database',
  MiniMaxM3ForCausalLM: 'sparse attention on most layers is not modelled',
  MiniMaxM3SparseForConditionalGeneration: 'sparse attention on most layers is not modelled',
  Gemma4ForConditionalGeneration:
    'sliding and global layers use different head dims and kv-head counts (k = v on global layers), with dense and MoE blocks in parallel',
  Llama4ForConditionalGeneration:
    'chunked local attention on 3 of 4 layers and MoE layers interleaved with dense ones are not modelled',
  DeciLMForCausalLM: 'heterogeneous NAS layers (some skip attention, per-layer FFN widths) are not modelled',
  MiMoV2FlashForCausalLM:
    'hybrid sliding-window layers with v head dim (128) different from q/k head dim (192) and attention sinks are not modelled',
};
