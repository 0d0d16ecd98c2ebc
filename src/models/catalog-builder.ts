// Builds the shipped catalog (data/models/) from a directory of Hugging Face configs named
// `<org>--<name>_config.json` (+ `<org>--<name>_hf_quant_config.json`). Pure apart from reading
// the configs; scripts/build-model-catalog.ts writes the result.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InferplanError, InvalidInputError } from '../common/index.js';
import { UNSUPPORTED_ARCHITECTURES } from './architectures/registry.js';
import type { CheckpointQuant } from './checkpoint-quant.js';
import { idFromPath, loadHfConfig, specFromHfConfig } from './hf-config.js';
import type { CatalogEntry, ModelSpec, UnsupportedEntry } from './model-spec.js';

interface Naming {
  /** Canonical id when the config file's name is an old or odd spelling. */
  readonly id?: string;
  readonly aliases?: readonly string[];
}

/** Canonical ids and the other names users (and dev.csv) use for the same checkpoint. */
export const CATALOG_NAMING: Readonly<Record<string, Naming>> = {
  'meta-llama/Meta-Llama-3.1-8B': {
    id: 'meta-llama/Llama-3.1-8B',
    aliases: [
      'meta-llama/Meta-Llama-3.1-8B',
      'meta-llama/Llama-3.1-8B-Instruct',
      'meta-llama/Meta-Llama-3.1-8B-Instruct',
    ],
  },
  'meta-llama/Meta-Llama-3.1-70B': {
    id: 'meta-llama/Llama-3.1-70B',
    aliases: [
      'meta-llama/Meta-Llama-3.1-70B',
      'meta-llama/Llama-3.1-70B-Instruct',
      'meta-llama/Meta-Llama-3.1-70B-Instruct',
    ],
  },
  'meta-llama/Meta-Llama-3.1-405B': {
    id: 'meta-llama/Llama-3.1-405B',
    aliases: [
      'meta-llama/Meta-Llama-3.1-405B',
      'meta-llama/Llama-3.1-405B-Instruct',
      'meta-llama/Meta-Llama-3.1-405B-Instruct',
    ],
  },
  'mistralai/Mixtral-8x7B-v0.1': { aliases: ['mistralai/Mixtral-8x7B-Instruct-v0.1'] },
  'mistralai/Mixtral-8x22B-v0.1': { aliases: ['mistralai/Mixtral-8x22B-Instruct-v0.1'] },
  'Qwen/Qwen3-30B-A3B': { aliases: ['Qwen/Qwen3-30B-A3B-Instruct-2507', 'Qwen/Qwen3-30B-A3B-Thinking-2507'] },
  'Qwen/Qwen3-235B-A22B': {
    aliases: ['Qwen/Qwen3-235B-A22B-Instruct-2507', 'Qwen/Qwen3-235B-A22B-Thinking-2507'],
  },
  'Qwen/Qwen3-235B-A22B-FP8': {
    aliases: ['Qwen/Qwen3-235B-A22B-Instruct-2507-FP8', 'Qwen/Qwen3-235B-A22B-Thinking-2507-FP8'],
  },
  'deepseek-ai/DeepSeek-V3': { aliases: ['deepseek-ai/DeepSeek-V3-0324', 'deepseek-ai/DeepSeek-V3.1'] },
  'deepseek-ai/DeepSeek-R1': { aliases: ['deepseek-ai/DeepSeek-R1-0528'] },
  'moonshotai/Kimi-K2-Instruct': { aliases: ['moonshotai/Kimi-K2-Instruct-0905', 'moonshotai/Kimi-K2-Base'] },
  'zai-org/GLM-5': { aliases: ['zhipuai/GLM-5'] },
};

interface Derived {
  readonly id: string;
  readonly from: string;
  readonly aliases?: readonly string[];
  readonly checkpointQuant?: CheckpointQuant;
  readonly note: string;
}

/** Checkpoints with no config in the directory that share a listed model's architecture. */
export const DERIVED_MODELS: readonly Derived[] = [
  {
    id: 'meta-llama/Llama-3.3-70B-Instruct',
    from: 'meta-llama/Llama-3.1-70B',
    aliases: ['meta-llama/Llama-3.3-70B'],
    note: 'same architecture as Llama-3.1-70B',
  },
  {
    id: 'nvidia/Llama-3.1-8B-Instruct-FP8',
    from: 'meta-llama/Llama-3.1-8B',
    // ModelOpt FP8 per-tensor weights and activations with FP8 kv-cache scales, like the 70B one.
    checkpointQuant: { gemm: 'fp8', moe: 'fp8', kvCache: 'fp8' },
    note: 'Llama-3.1-8B with ModelOpt FP8 (as nvidia/Llama-3.1-70B-Instruct-FP8)',
  },
];

/** Configs given as facts when the directory lacks them (Qwen3-14B's config.json). */
export const EXTRA_CONFIGS: Readonly<Record<string, Record<string, unknown>>> = {
  'Qwen/Qwen3-14B': {
    architectures: ['Qwen3ForCausalLM'],
    hidden_size: 5120,
    num_hidden_layers: 40,
    num_attention_heads: 40,
    num_key_value_heads: 8,
    head_dim: 128,
    intermediate_size: 17408,
    vocab_size: 151936,
    tie_word_embeddings: false,
    max_position_embeddings: 40960,
  },
};

export interface BuiltCatalog {
  readonly entries: CatalogEntry[];
  readonly unsupported: UnsupportedEntry[];
  /** Config files that failed for another reason (file: message). */
  readonly failed: string[];
}

function withNaming(spec: ModelSpec, source: string): CatalogEntry {
  const naming = CATALOG_NAMING[spec.id] ?? {};
  return {
    spec: { ...spec, id: naming.id ?? spec.id },
    aliases: [...(naming.aliases ?? [])],
    source,
  };
}

/** Read every `*_config.json` of `configDir` and build the catalog entries. */
export function buildCatalog(configDir: string): BuiltCatalog {
  let files: string[];
  try {
    files = readdirSync(configDir).sort();
  } catch {
    throw new InvalidInputError(`config directory '${configDir}' cannot be read`);
  }
  const entries: CatalogEntry[] = [];
  const unsupported: UnsupportedEntry[] = [];
  const failed: string[] = [];
  for (const file of files) {
    if (!file.endsWith('_config.json') || file.endsWith('_hf_quant_config.json')) continue;
    const path = join(configDir, file);
    try {
      entries.push(withNaming(loadHfConfig(path), file));
    } catch (error) {
      if (!(error instanceof InferplanError)) throw error;
      const arch = /architecture '([^']+)'/.exec(error.message)?.[1];
      const reason = arch ? UNSUPPORTED_ARCHITECTURES[arch] : undefined;
      if (arch && reason) {
        const id = idFromPath(path);
        unsupported.push({ id, hfArchitecture: arch, reason });
        for (const alias of CATALOG_NAMING[id]?.aliases ?? [])
          unsupported.push({ id: alias, hfArchitecture: arch, reason });
      } else {
        failed.push(`${file}: ${error.message}`);
      }
    }
  }
  for (const [id, config] of Object.entries(EXTRA_CONFIGS)) {
    if (entries.some((e) => e.spec.id === id)) continue;
    entries.push(withNaming(specFromHfConfig(config, `${id} (built-in facts)`, id), 'built-in facts'));
  }
  for (const d of DERIVED_MODELS) {
    const base = entries.find((e) => e.spec.id === d.from);
    if (!base || entries.some((e) => e.spec.id === d.id)) continue;
    const spec: ModelSpec = { ...base.spec, id: d.id };
    entries.push({
      spec: d.checkpointQuant ? { ...spec, checkpointQuant: d.checkpointQuant } : spec,
      aliases: [...(d.aliases ?? [])],
      source: d.note,
    });
  }
  entries.sort((a, b) => a.spec.id.localeCompare(b.spec.id));
  unsupported.sort((a, b) => a.id.localeCompare(b.id));
  return { entries, unsupported, failed };
}

/** File name of a catalog entry: the id with '/' as '--'. */
export function catalogFileName(id: string): string {
  return `${id.replace(/\//g, '--')}.json`;
}

/** Catalog JSON with arrays of plain values on one line, so files stay short and diffable. */
export function formatCatalogJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return `${text.replace(/\[\s*\n\s*([^[\]{}]*?)\s*\n\s*\]/g, (_m, body: string) => `[${body.split(/,\s*\n\s*/).join(', ')}]`)}\n`;
}
