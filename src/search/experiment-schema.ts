// The experiment file (`inferplan exp FILE.yaml`): several searches in one YAML, validated by zod.
// Documented in docs/search.md "Experiment files"; keep the two in step.
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, stringify } from 'yaml';
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
  .refine((w) => w.prefix < w.isl, {
    message: 'prefix must be smaller than isl',
    path: ['prefix'],
    // Only between two valid numbers: a bad isl is its own problem, not the prefix's.
    when: (payload) => payload.issues.length === 0,
  });

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

/**
 * What the caller knows about its environment. A listed kind of name (systems, backends, models)
 * is checked, others are not; `perfData`, when given, checks a `perf_data` folder and throws an
 * InferplanError whose message starts with `field` (e.g. `defaults.perf_data`).
 */
export interface KnownNames {
  readonly systems?: readonly string[];
  readonly backends?: readonly string[];
  readonly models?: readonly string[];
  readonly perfData?: (dir: string, field: string) => void;
}

/** The YAML line (1-based) of a key path in the file, or undefined where it cannot be told. */
export type LineOf = (path: readonly PropertyKey[]) => number | undefined;

/** Problems listed one per line before the rest are counted. */
const MAX_SHOWN_PROBLEMS = 10;

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

/** One problem: the key path in the file it concerns and its text (which names that path). */
interface Problem {
  readonly path: readonly PropertyKey[];
  readonly text: string;
  readonly exitCode: number;
}

/** Where a merged experiment's value came from: the experiment itself, else the defaults block. */
type Locate = (path: readonly PropertyKey[]) => readonly PropertyKey[];

/**
 * A zod issue as problems in the file's terms: each unknown key on its own (with its own line),
 * an absent field as missing, every path where the value was written.
 */
function issueProblems(issue: z.core.$ZodIssue, locate: Locate): Problem[] {
  const exitCode = EXIT_CODES.invalidInput;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = locate([...issue.path, key]);
      const meant = closestField(key);
      return {
        path,
        exitCode,
        text: `${formatKeyPath(path)}: unknown field${meant ? ` (did you mean '${meant}'?)` : ''}; fields are listed in docs/search.md`,
      };
    });
  }
  const path = locate(issue.path);
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message))
    return [{ path, exitCode, text: `${formatKeyPath(path)}: missing (expected ${issue.expected})` }];
  return [{ path, exitCode, text: `${formatKeyPath(path)}: ${issue.message}` }];
}

/**
 * Issues of one parse; an unknown key first (usually the misspelling of a missing field): the
 * order kept among problems on one line, or where no line is known.
 */
function zodProblems(error: z.ZodError, locate: Locate): Problem[] {
  const issues = [...error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  return issues.flatMap((issue) => issueProblems(issue, locate));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasPath(value: unknown, path: readonly PropertyKey[]): boolean {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return false;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return true;
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

function nameProblem(
  path: readonly PropertyKey[],
  kind: string,
  name: string | undefined,
  known: readonly string[] | undefined,
): Problem | undefined {
  if (name === undefined || known === undefined || known.includes(name)) return undefined;
  const shown = known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', ');
  return {
    path,
    text: `${formatKeyPath(path)}: unknown ${kind} '${name}'; known: ${shown}`,
    exitCode: EXIT_CODES.unknownName,
  };
}

/**
 * Every problem in one error, one line each (`file:line: key.path: what`), the first
 * MAX_SHOWN_PROBLEMS of them; unknown names alone keep their own exit code.
 */
function problemsError(
  file: string,
  problems: readonly Problem[],
  lineOf: LineOf | undefined,
): InferplanError {
  // In file order (stable: problems on one line keep theirs), those without a line last.
  const located = problems
    .map((p) => ({ ...p, line: lineOf?.(p.path) }))
    .sort((a, b) => (a.line ?? Number.POSITIVE_INFINITY) - (b.line ?? Number.POSITIVE_INFINITY));
  const lines = located
    .slice(0, MAX_SHOWN_PROBLEMS)
    .map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.text}`);
  const hidden = problems.length - lines.length;
  if (hidden > 0) lines.push(`${file}: and ${hidden} more problem${hidden > 1 ? 's' : ''}`);
  const message = lines.join('\n');
  return problems.every((p) => p.exitCode === EXIT_CODES.unknownName)
    ? new InferplanError(message, EXIT_CODES.unknownName)
    : new InvalidInputError(message);
}

/** Problems, each once (a defaults problem shows up in every experiment that inherits it). */
class ProblemList {
  readonly items: Problem[] = [];
  private readonly seen = new Set<string>();
  add(problem: Problem | undefined): void {
    if (!problem || this.seen.has(problem.text)) return;
    this.seen.add(problem.text);
    this.items.push(problem);
  }
}

/**
 * Parse and validate experiments from already-parsed YAML/JSON data. Every problem is reported
 * at once, named by its key path (`defaults.x` for the defaults block) and, given `lineOf`, line.
 */
export function parseExperiments(
  data: unknown,
  file: string,
  known: KnownNames = {},
  lineOf?: LineOf,
): ExperimentSpec[] {
  const top = ExperimentFileSchema.safeParse(data);
  if (!top.success)
    throw problemsError(
      file,
      zodProblems(top.error, (path) => path),
      lineOf,
    );
  const defaults = top.data.defaults ?? {};
  const problems = new ProblemList();
  const specs: ExperimentSpec[] = [];
  const seen = new Map<string, number>();
  const perfDataChecked = new Map<string, Problem | undefined>();
  top.data.experiments.forEach((raw, index) => {
    // A merged value is the experiment's own where it set one, else the defaults'.
    const locate: Locate = (path) =>
      !hasPath(raw, path) && hasPath(defaults, path)
        ? ['defaults', ...path]
        : ['experiments', index, ...path];
    const add = problems.add.bind(problems);
    const parsed = ExperimentSpecSchema.safeParse(mergeDefaults(defaults, raw));
    if (!parsed.success) {
      for (const problem of zodProblems(parsed.error, locate)) add(problem);
      return;
    }
    const spec = parsed.data;
    const earlier = seen.get(spec.name);
    if (earlier !== undefined) {
      const path = locate(['name']);
      add({
        path,
        text: `${formatKeyPath(path)}: '${spec.name}' is also experiments[${earlier}]; names must differ`,
        exitCode: EXIT_CODES.invalidInput,
      });
    } else seen.set(spec.name, index);
    add(nameProblem(locate(['system']), 'system', spec.system, known.systems));
    add(nameProblem(locate(['decode_system']), 'system', spec.decode_system, known.systems));
    add(nameProblem(locate(['backend']), 'backend', spec.backend, known.backends));
    add(nameProblem(locate(['model']), 'model', spec.model, known.models));
    if (spec.decode_system !== undefined && !spec.modes.includes('disagg')) {
      const path = locate(['decode_system']);
      add({
        path,
        text: `${formatKeyPath(path)}: only used by disagg; add disagg to modes`,
        exitCode: EXIT_CODES.invalidInput,
      });
    }
    if (spec.perf_data !== undefined && known.perfData) {
      const path = locate(['perf_data']);
      const field = formatKeyPath(path);
      const key = `${field}\0${spec.perf_data}`;
      if (!perfDataChecked.has(key))
        perfDataChecked.set(key, perfDataProblem(known.perfData, spec.perf_data, path));
      add(perfDataChecked.get(key));
    }
    specs.push(spec);
  });
  if (problems.items.length > 0) throw problemsError(file, problems.items, lineOf);
  return specs;
}

/** The caller's perf_data check as a problem (its message names the field), or none. */
function perfDataProblem(
  check: NonNullable<KnownNames['perfData']>,
  dir: string,
  path: readonly PropertyKey[],
): Problem | undefined {
  try {
    check(dir, formatKeyPath(path));
    return undefined;
  } catch (error) {
    if (!(error instanceof InferplanError)) throw error;
    return { path, text: error.message, exitCode: error.exitCode };
  }
}

/** The line of a key path: its key's line, else the nearest enclosing node's that exists. */
function yamlLineOf(doc: Document, counter: LineCounter): LineOf {
  return (path) => {
    let node: unknown = doc.contents;
    let offset = isNode(node) ? node.range?.[0] : undefined;
    for (const key of path) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key));
        if (!pair) break;
        if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
        next = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        next = node.items[key];
        if (isNode(next) && next.range) offset = next.range[0];
      }
      if (next === undefined) break;
      node = next;
    }
    return offset === undefined ? undefined : counter.linePos(offset).line;
  };
}

/** Parse an experiment YAML text; errors name the file, line and key path. */
export function parseExperimentsYaml(text: string, file: string, known: KnownNames = {}): ExperimentSpec[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter });
  const [syntax] = doc.errors;
  if (syntax) {
    const line = syntax.linePos?.[0]?.line;
    throw new InvalidInputError(
      `${file}${line ? `:${line}` : ''}: YAML syntax: ${syntax.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  return parseExperiments(doc.toJS(), file, known, yamlLineOf(doc, lineCounter));
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
