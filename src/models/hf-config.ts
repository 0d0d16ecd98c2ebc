// Reads a Hugging Face checkpoint description (config.json, nested text_config of VL wrappers,
// quantization_config, sibling hf_quant_config.json) into a validated ModelSpec.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InvalidConfigError, InvalidInputError, UnknownNameError } from '../common/index.js';
import { findParser, supportedHfArchitectures, UNSUPPORTED_ARCHITECTURES } from './architectures/registry.js';
import { type CheckpointQuant, parseHfQuantConfig, parseQuantizationConfig } from './checkpoint-quant.js';
import { type ModelSpec, ModelSpecSchema } from './model-spec.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON file's value; errors name the file (unreadable, not valid JSON). */
export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // Python's json module writes Infinity / NaN for float fields; they never matter here.
    try {
      return JSON.parse(text.replace(/(?<=[:,[]\s*)-?(Infinity|NaN)(?=\s*[,\]}])/g, 'null'));
    } catch {
      throw new InvalidInputError(`${path}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
    }
  }
}

/** config.json path and its hf_quant_config.json sibling (`<prefix>_hf_quant_config.json` too). */
export function locateConfigFiles(dirOrFile: string): { configPath: string; hfQuantPath?: string } {
  const isDir = existsSync(dirOrFile) && statSync(dirOrFile).isDirectory();
  const configPath = isDir ? join(dirOrFile, 'config.json') : dirOrFile;
  if (!existsSync(configPath)) {
    throw new InvalidInputError(
      `${isDir ? `${dirOrFile}: no config.json in this directory` : `${configPath}: file does not exist`}; pass a catalog id ('inferplan models') or a Hugging Face config.json or its directory`,
    );
  }
  const dir = dirname(configPath);
  const name = basename(configPath);
  const candidates = [join(dir, 'hf_quant_config.json')];
  if (name.endsWith('_config.json'))
    candidates.unshift(join(dir, name.replace(/_config\.json$/, '_hf_quant_config.json')));
  const hfQuantPath = candidates.find((p) => p !== configPath && existsSync(p));
  return hfQuantPath ? { configPath, hfQuantPath } : { configPath };
}

/** A readable id for a checkpoint loaded from disk: `org--name_config.json` -> `org/name`, else the folder. */
export function idFromPath(configPath: string): string {
  const name = basename(configPath);
  const match = /^(.+?)--(.+)_config\.json$/.exec(name);
  if (match) return `${match[1]}/${match[2]}`;
  return basename(dirname(configPath)) || name;
}

/** The text model's fields: VL wrappers nest them in `text_config`; top-level fields fill gaps. */
function textConfig(raw: JsonObject): JsonObject {
  const { text_config: text, vision_config: _vision, ...top } = raw;
  return isObject(text) ? { ...top, ...text } : top;
}

function firstArchitecture(config: JsonObject): string | undefined {
  const archs = config['architectures'];
  return Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : undefined;
}

/** Parse an already-read config object; `where` names it in errors. */
export function specFromHfConfig(raw: unknown, where: string, id: string, hfQuant?: unknown): ModelSpec {
  if (!isObject(raw)) throw new InvalidInputError(`${where}: expected a JSON object`);
  const text = textConfig(raw);
  const topName = firstArchitecture(raw);
  const textName = isObject(raw['text_config']) ? firstArchitecture(raw['text_config']) : undefined;
  const hfArchitecture = topName ?? textName;
  if (!hfArchitecture) {
    throw new InvalidInputError(
      `${where}: field 'architectures' is missing; expected e.g. ["LlamaForCausalLM"]`,
    );
  }
  const parser = findParser(hfArchitecture) ?? (textName ? findParser(textName) : undefined);
  if (!parser) {
    const reason = UNSUPPORTED_ARCHITECTURES[hfArchitecture];
    if (reason) {
      throw new InvalidConfigError(`${where}: architecture '${hfArchitecture}' is not supported: ${reason}`);
    }
    throw new UnknownNameError(
      'architecture',
      hfArchitecture,
      supportedHfArchitectures(),
      `(${where}); to add one see docs/models.md`,
    );
  }
  const facts = parser.parse(text, where);
  const quant: CheckpointQuant = {
    ...parseQuantizationConfig(text['quantization_config'] ?? raw['quantization_config']),
    ...(hfQuant === undefined ? {} : parseHfQuantConfig(hfQuant)),
  };
  const parsed = ModelSpecSchema.safeParse({
    ...facts,
    id,
    hfArchitecture,
    ...(Object.keys(quant).length > 0 ? { checkpointQuant: quant } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    const key = CONFIG_KEY_OF_FIELD[field];
    throw new InvalidInputError(
      key ? `${where}: ${key}: ${issue.message}` : `${where}: derived field '${field}': ${issue.message}`,
    );
  }
  return parsed.data;
}

/** The config.json keys behind the spec fields a checkpoint's numbers most often break. */
const CONFIG_KEY_OF_FIELD: Readonly<Record<string, string>> = {
  hiddenSize: 'hidden_size',
  numLayers: 'num_hidden_layers',
  numHeads: 'num_attention_heads',
  numKvHeads: 'num_key_value_heads',
  headDim: 'head_dim',
  interSize: 'intermediate_size',
  vocabSize: 'vocab_size',
  'moe.topk': 'the experts per token (num_experts_per_tok / experts_per_token)',
  'moe.numExperts': 'the expert count (num_experts / num_local_experts / n_routed_experts)',
  'moe.firstDenseLayers': 'first_k_dense_replace',
  'slidingWindow.layerTypes': 'layer_types',
};

/** Load a checkpoint description from a directory holding config.json or a config file path. */
export function loadHfConfig(dirOrFile: string, id?: string): ModelSpec {
  const { configPath, hfQuantPath } = locateConfigFiles(dirOrFile);
  const hfQuant = hfQuantPath ? readJson(hfQuantPath) : undefined;
  return specFromHfConfig(readJson(configPath), configPath, id ?? idFromPath(configPath), hfQuant);
}
