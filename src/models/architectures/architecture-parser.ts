// What one architecture file provides: the HF `architectures` names it understands and a zod
// schema + mapping from that config's fields to our model facts. Registry: ./registry.ts.
import { z } from 'zod';
import { InvalidInputError } from '../../common/index.js';
import type { ModelSpecSchema } from '../model-spec.js';

/** The spec fields an architecture derives from a config (id, HF name and quant come from the caller). */
export type ModelFacts = Omit<z.input<typeof ModelSpecSchema>, 'id' | 'hfArchitecture' | 'checkpointQuant'>;

export interface ArchitectureParser {
  /** Values of config.json `architectures` (of the text model for VL wrappers) handled here. */
  readonly hfArchitectures: readonly string[];
  /** `where` names the file for error messages. */
  parse(config: Record<string, unknown>, where: string): ModelFacts;
}

/**
 * Validate `config` against `schema`, naming the file and the field on failure; `hint` (what to
 * do) is appended to the message.
 */
export function readConfig<T extends z.ZodType>(
  schema: T,
  config: unknown,
  where: string,
  hint?: string,
): z.output<T> {
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(top level)';
    throw new InvalidInputError(`${where}: field '${field}': ${issue.message}${hint ? `; ${hint}` : ''}`);
  }
  return parsed.data;
}

/** HF `layer_types` (one per decoder layer) as our sliding / full attention kinds. */
export function parseLayerTypes(types: readonly string[], where: string): ('sliding' | 'full')[] {
  return types.map((t, i) => {
    if (t === 'sliding_attention') return 'sliding';
    if (t === 'full_attention') return 'full';
    throw new InvalidInputError(
      `${where}: field 'layer_types.${i}' is '${t}'; expected sliding_attention or full_attention`,
    );
  });
}

/**
 * An integer config field within [min, max]. The upper bounds sit far above any real checkpoint
 * (largest shipped: hidden 16384, 126 layers, 128 heads, vocab ~262k) and catch typos such as
 * `hidden_size: 1e12`, which would otherwise plan a model with billions of billions of parameters.
 */
export function boundedInt(min: number, max: number) {
  const range = `expected an integer from ${min} to ${max}`;
  // A quoted number reads back quoted, so "got 4096" never hides that it was a string.
  const got = (issue: { input?: unknown }) =>
    issue.input === undefined
      ? `missing; ${range}`
      : `${range}, got ${typeof issue.input === 'number' ? issue.input : JSON.stringify(issue.input)}`;
  return z.number({ error: got }).int({ error: got }).min(min, { error: got }).max(max, { error: got });
}

/** Bounds shared by every architecture's config schema (see boundedInt). */
export const CONFIG_INT = {
  hidden: boundedInt(1, 65_536),
  layers: boundedInt(1, 1000),
  layerCount: boundedInt(0, 1000),
  heads: boundedInt(1, 1024),
  headDim: boundedInt(1, 1024),
  ffn: boundedInt(1, 1_048_576),
  ffnOrZero: boundedInt(0, 1_048_576),
  rank: boundedInt(1, 65_536),
  rankOrZero: boundedInt(0, 65_536),
  vocab: boundedInt(1, 10_000_000),
  tokens: boundedInt(1, 1_000_000_000),
  experts: boundedInt(1, 65_536),
  expertsOrZero: boundedInt(0, 1024),
  topk: boundedInt(1, 1024),
} as const;

/** Config fields are sometimes null where absent is meant. */
export function orUndefined<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}
