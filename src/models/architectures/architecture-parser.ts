// What one architecture file provides: the HF `architectures` names it understands and a zod
// schema + mapping from that config's fields to our model facts. Registry: ./registry.ts.
import type { z } from 'zod';
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

/** Config fields are sometimes null where absent is meant. */
export function orUndefined<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}
