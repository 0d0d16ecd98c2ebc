// Building a campaign's case plan: ops x (generic grid | model-driven shapes), then smoke /
// filter / shuffle (seeded) / limit. The order is deterministic, so the plan hash is too.
import { InvalidConfigError, seededRandom, UsageError } from '../common/index.js';
import type { GridSize } from './case-grids.js';
import { type CaseParams, type CollectCase, makeCase, planHash } from './case-params.js';
import { type ImpossibleLayout, type ModelOpSource, planModelCases } from './model-plan.js';
import { type CollectOp, OP_REGISTRY } from './op-registry.js';

export interface PlanOptions {
  readonly ops: readonly CollectOp[];
  readonly grid: GridSize;
  /** A few shuffled cases per op. */
  readonly smoke: boolean;
  readonly limit?: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly caseFilter?: string;
  readonly models?: readonly string[];
  readonly tps?: readonly number[];
  readonly modelSource?: ModelOpSource;
  /** GPUs the campaign owns (nccl grids use 2..count). */
  readonly gpuCount: number;
  readonly gemmDtypes?: readonly string[];
  /** Told of problems that shrink the plan without emptying it (a tp a model cannot use). */
  readonly warn?: (message: string) => void;
}

export interface OpPlan {
  readonly op: CollectOp;
  readonly cases: readonly CollectCase[];
  readonly hash: string;
}

export const SMOKE_CASES_PER_OP = 6;

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function ncclGpuCounts(gpuCount: number): number[] {
  const out: number[] = [];
  for (let g = 2; g <= gpuCount; g *= 2) out.push(g);
  return out;
}

/** --case-filter's `name=value` parts (empty parts, e.g. a trailing comma, are ignored). */
function parseCaseFilter(filter: string): { readonly name: string; readonly value: string }[] {
  return filter
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq > 0 ? part.slice(0, eq).trim() : '';
      const value = eq > 0 ? part.slice(eq + 1).trim() : '';
      if (name === '' || value === '') {
        throw new UsageError(`--case-filter part '${part}' is not name=value (e.g. 'n=4096,gemm_dtype=fp8')`);
      }
      return { name, value };
    });
}

/** Whether a case has every filtered parameter at exactly that value (numbers compared as numbers). */
function matchesFilter(params: CaseParams, parts: readonly { name: string; value: string }[]): boolean {
  return parts.every(({ name, value }) => {
    const actual = params[name];
    if (actual === undefined) return false;
    if (typeof actual === 'number') return Number(value) === actual;
    return String(actual) === value;
  });
}

/**
 * The plan of each requested op. A plan with no case at all is refused with the reason (a layout
 * no model can use, a filter that matches nothing, ...): a campaign or saved plan of nothing is
 * always a mistake, and "0 cases" alone does not say which.
 */
export function buildPlan(options: PlanOptions): OpPlan[] {
  const impossible: ImpossibleLayout[] = [];
  const modelCases =
    options.models && options.models.length > 0
      ? planModelCases({
          source: requireSource(options.modelSource),
          models: options.models,
          tps: options.tps ?? [1],
          gemmDtypes: options.gemmDtypes ?? ['bfloat16', 'fp8'],
          onImpossible: (layout) => impossible.push(layout),
        })
      : undefined;
  const filterParts = options.caseFilter ? parseCaseFilter(options.caseFilter) : undefined;
  let candidates = 0;
  const parameterNames = new Set<string>();
  const plans = options.ops.map((op) => {
    const spec = OP_REGISTRY[op];
    let params: CaseParams[] = modelCases
      ? (modelCases.get(op) ?? [])
      : spec.grid({ size: options.grid, ncclGpus: ncclGpuCounts(options.gpuCount) });
    if (op === 'nccl') params = params.filter((p) => Number(p['num_gpus']) <= options.gpuCount);
    candidates += params.length;
    for (const p of params) for (const name of Object.keys(p)) parameterNames.add(name);
    if (filterParts) params = params.filter((p) => matchesFilter(p, filterParts));
    if (options.shuffle || options.smoke) params = shuffled(params, options.seed);
    if (options.smoke) params = params.slice(0, SMOKE_CASES_PER_OP);
    if (options.limit !== undefined) params = params.slice(0, options.limit);
    const cases = dedupe(params.map((p) => makeCase(op, p)));
    return { op, cases, hash: planHash(cases) };
  });
  const skipped = impossible.map((l) => `tp ${l.tp} for ${l.model} (${l.reason})`);
  if (plans.some((p) => p.cases.length > 0)) {
    for (const s of skipped) options.warn?.(`no cases planned for ${s}`);
    return plans;
  }
  const layouts = (options.tps ?? [1]).length * (options.models?.length ?? 0);
  if (layouts > 0 && impossible.length === layouts)
    throw new InvalidConfigError(
      `the plan has no cases: no model can run at the requested --tp: ${[...new Set(impossible.map((l) => l.reason))].join('; ')}`,
    );
  if (candidates === 0)
    throw new UsageError(`the plan has no cases: ${noCandidates(options, modelCases, skipped)}`);
  throw new UsageError(
    `the plan has no cases: ${noMatch(options.caseFilter ?? '', candidates, parameterNames)}`,
  );
}

/** Why the requested ops have no case before any filter applies. */
function noCandidates(
  options: PlanOptions,
  modelCases: Map<CollectOp, CaseParams[]> | undefined,
  skipped: readonly string[],
): string {
  const ops = options.ops.join(', ');
  if (modelCases) {
    const needed = [...modelCases.keys()].filter((op) => (modelCases.get(op)?.length ?? 0) > 0);
    return (
      `${options.models?.join(', ')} at tp ${(options.tps ?? [1]).join(', ')} need no ${ops} cases` +
      (needed.length ? `; they need ${needed.join(', ')} (pick those with --ops)` : '') +
      (skipped.length ? `; skipped ${skipped.join('; ')}` : '')
    );
  }
  if (options.ops.every((op) => op === 'nccl') && options.gpuCount < 2)
    return `nccl measures collectives over 2 or more GPUs and --gpus lists ${options.gpuCount}; pass e.g. --gpus 0,1`;
  return `no case of ${ops} applies to this campaign`;
}

/** Why --case-filter matched nothing: a parameter no case has, or values no case combines. */
function noMatch(filter: string, candidates: number, names: ReadonlySet<string>): string {
  const known = [...names].sort().join(', ');
  const unknown = filter
    .split(',')
    .map((part) => part.trim().split('=')[0]?.trim() ?? '')
    .filter((name) => name !== '' && !names.has(name));
  if (unknown.length > 0)
    return `--case-filter names ${unknown.join(', ')}, which no planned case has; the cases' parameters are ${known}`;
  return `--case-filter '${filter}' matched none of the ${candidates} planned cases; check its values (parameters: ${known})`;
}

function dedupe(cases: CollectCase[]): CollectCase[] {
  const seen = new Set<string>();
  return cases.filter((c) => {
    if (seen.has(c.id)) return false;
    seen.add(c.id);
    return true;
  });
}

function requireSource(source: ModelOpSource | undefined): ModelOpSource {
  if (!source) throw new UsageError('--model needs a model source; none is available in this build');
  return source;
}

/** Rough seconds a plan takes: kernel time plus a per-case setup cost, spread over GPUs. */
export function estimatePlanSeconds(plan: OpPlan, gpuCount: number, perCaseOverheadMs = 80): number {
  const spec = OP_REGISTRY[plan.op];
  let ms = 0;
  for (const c of plan.cases) ms += spec.estimateKernelMs(c.params) * 40 + perCaseOverheadMs;
  return ms / 1000 / (spec.usesAllGpus ? 1 : Math.max(1, gpuCount));
}
