// The experiment file (`inferplan exp FILE.yaml`): several searches in one YAML, validated by zod.
// Documented in docs/search.md "Experiment files"; keep the two in step.
import { parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { DTYPES, EXIT_CODES, InferplanError, InvalidInputError } from '../common/index.js';
import { SCHEDULER_POLICIES } from '../engine/index.js';
import { DATABASE_MODES } from '../perfdb/index.js';
import { OBJECTIVES, SEARCH_MODES } from './search-types.js';

const positiveInt = z.number().int().positive();

export const ExperimentWorkloadSchema = z
  .object({
    isl: positiveInt,
    osl: positiveInt,
    prefix: z.number().int().nonnegative().default(0),
    nextn: z.number().int().min(0).max(8).default(0),
    nextn_accept: z.number().nonnegative().default(0),
  })
  .strict()
  .refine((w) => w.prefix < w.isl, { message: 'prefix must be smaller than isl', path: ['prefix'] });

export const ExperimentSlaSchema = z
  .object({
    ttft_ms: z.number().positive().optional(),
    tpot_ms: z.number().positive().optional(),
    request_latency_ms: z.number().positive().optional(),
    strict: z.boolean().default(false),
  })
  .strict();

export const ExperimentQuantSchema = z
  .object({
    /** 'checkpoint' runs the checkpoint's formats; 'fastest' the GPU's fastest native ones. */
    policy: z.enum(['checkpoint', 'fastest']).optional(),
    gemm: z.enum(DTYPES).optional(),
    kv_cache: z.enum(DTYPES).optional(),
    fmha: z.enum(DTYPES).optional(),
    moe: z.enum(DTYPES).optional(),
    comm: z.enum(DTYPES).optional(),
  })
  .strict();

export const ExperimentSpecSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-"'),
    description: z.string().optional(),
    model: z.string().min(1),
    system: z.string().min(1),
    /** Decode workers of disaggregated replicas run here (heterogeneous disagg). */
    decode_system: z.string().min(1).optional(),
    backend: z.string().min(1),
    backend_version: z.string().optional(),
    /** Perf data folder (default: the embedded data). */
    perf_data: z.string().min(1).optional(),
    database_mode: z.enum(DATABASE_MODES).default('silicon'),
    /** MoE routing assumed by the MoE op (random, balanced, power_law_1.01, power_law_1.2). */
    moe_distribution: z.string().min(1).optional(),
    /** The engine's scheduler where it runs other than the backend's default. */
    scheduler: z.enum(SCHEDULER_POLICIES).optional(),
    total_gpus: positiveInt,
    workload: ExperimentWorkloadSchema,
    sla: ExperimentSlaSchema.default({ strict: false }),
    modes: z.array(z.enum(SEARCH_MODES)).min(1).default(['agg', 'disagg']),
    objective: z.enum(OBJECTIVES).default('tokens-per-gpu'),
    top_n: positiveInt.default(5),
    /** Evaluate every batch and context budget instead of pruning hopeless ones. */
    exhaustive: z.boolean().default(false),
    quant: ExperimentQuantSchema.optional(),
    gpu_hour_usd: z.number().positive().optional(),
    decode_gpu_hour_usd: z.number().positive().optional(),
  })
  .strict();

export type ExperimentSpec = z.infer<typeof ExperimentSpecSchema>;

const ExperimentFileSchema = z
  .object({
    defaults: z.record(z.string(), z.unknown()).optional(),
    experiments: z.array(z.record(z.string(), z.unknown())).min(1, 'list at least one experiment'),
  })
  .strict();

/** Names the caller knows (systems, backends, models); a listed kind is checked, others are not. */
export interface KnownNames {
  readonly systems?: readonly string[];
  readonly backends?: readonly string[];
  readonly models?: readonly string[];
}

/** `experiments[1].workload.isl` style key path. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(top level)';
}

/** Every field name an experiment file may use, at any level. */
function experimentFields(): string[] {
  return [
    ...Object.keys(ExperimentFileSchema.shape),
    ...Object.keys(ExperimentSpecSchema.shape),
    ...Object.keys(ExperimentSlaSchema.shape),
    ...Object.keys(ExperimentQuantSchema.shape),
    ...Object.keys(ExperimentWorkloadSchema.shape),
  ];
}

/** The field a misspelt key most likely meant: one containing it, or within two edits. */
function closestField(key: string): string | undefined {
  const fields = experimentFields();
  const lower = key.toLowerCase();
  const containing = fields.find((f) => f.includes(lower) || lower.includes(f));
  if (containing && lower.length >= 3) return containing;
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of fields) {
    const d = editDistance(lower, f);
    if (d < bestDistance) [best, bestDistance] = [f, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** One issue in the file's terms: a typo'd key is named as unknown, an absent one as missing. */
function issueText(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): string {
  const where = formatKeyPath([...prefix, ...issue.path]);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => {
      const meant = closestField(k);
      return `'${k}'${meant ? ` (did you mean '${meant}'?)` : ''}`;
    });
    return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${keys.join(', ')}; fields are listed in docs/search.md`;
  }
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message))
    return `${where}: missing (expected ${issue.expected})`;
  return `${where}: ${issue.message}`;
}

function zodMessage(error: z.ZodError, prefix: readonly PropertyKey[]): string {
  // An unknown key first: it is usually the misspelling of the field reported missing.
  const issues = [...error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const [first, ...rest] = issues;
  if (!first) return 'invalid';
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  return `${issueText(first, prefix)}${more}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Defaults under an experiment: nested objects merge key by key, the experiment's value wins. */
function mergeDefaults(
  defaults: Record<string, unknown>,
  own: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(own)) {
    const base = out[key];
    out[key] = isPlainObject(base) && isPlainObject(value) ? mergeDefaults(base, value) : value;
  }
  return out;
}

function checkName(
  file: string,
  path: string,
  kind: string,
  name: string | undefined,
  known: readonly string[] | undefined,
): void {
  if (name === undefined || known === undefined || known.includes(name)) return;
  const shown = known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', ');
  throw new InferplanError(
    `${file}: ${path}: unknown ${kind} '${name}'; known: ${shown}`,
    EXIT_CODES.unknownName,
  );
}

/** Parse and validate experiments from already-parsed YAML/JSON data. */
export function parseExperiments(data: unknown, file: string, known: KnownNames = {}): ExperimentSpec[] {
  const top = ExperimentFileSchema.safeParse(data);
  if (!top.success) throw new InvalidInputError(`${file}: ${zodMessage(top.error, [])}`);
  const defaults = top.data.defaults ?? {};
  const specs: ExperimentSpec[] = [];
  const seen = new Map<string, number>();
  top.data.experiments.forEach((raw, index) => {
    const parsed = ExperimentSpecSchema.safeParse(mergeDefaults(defaults, raw));
    if (!parsed.success)
      throw new InvalidInputError(`${file}: ${zodMessage(parsed.error, ['experiments', index])}`);
    const spec = parsed.data;
    const at = (key: string) => `experiments[${index}].${key}`;
    const earlier = seen.get(spec.name);
    if (earlier !== undefined) {
      throw new InvalidInputError(
        `${file}: ${at('name')}: '${spec.name}' is also experiments[${earlier}]; names must differ`,
      );
    }
    seen.set(spec.name, index);
    checkName(file, at('system'), 'system', spec.system, known.systems);
    checkName(file, at('decode_system'), 'system', spec.decode_system, known.systems);
    checkName(file, at('backend'), 'backend', spec.backend, known.backends);
    checkName(file, at('model'), 'model', spec.model, known.models);
    if (spec.decode_system !== undefined && !spec.modes.includes('disagg')) {
      throw new InvalidInputError(
        `${file}: ${at('decode_system')}: only used by disagg; add disagg to modes`,
      );
    }
    specs.push(spec);
  });
  return specs;
}

/** Parse an experiment YAML text; errors name the file, line (for syntax) or key path. */
export function parseExperimentsYaml(text: string, file: string, known: KnownNames = {}): ExperimentSpec[] {
  const doc = parseDocument(text, { prettyErrors: true });
  const [syntax] = doc.errors;
  if (syntax) {
    const line = syntax.linePos?.[0]?.line;
    throw new InvalidInputError(
      `${file}${line ? `:${line}` : ''}: YAML syntax: ${syntax.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  return parseExperiments(doc.toJS(), file, known);
}

/** A YAML text `parseExperimentsYaml` reads back to the same experiments (for --save-dir). */
export function experimentsToYaml(specs: readonly ExperimentSpec[], header?: string): string {
  const body = stringify({ experiments: specs.map((s) => JSON.parse(JSON.stringify(s)) as unknown) });
  const comment = header
    ? `${header
        .split('\n')
        .map((l) => `# ${l}`.trimEnd())
        .join('\n')}\n`
    : '';
  return `${comment}${body}`;
}
