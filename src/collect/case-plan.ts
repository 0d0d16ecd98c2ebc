// Building a campaign's case plan: ops x (generic grid | model-driven shapes), then smoke /
// filter / shuffle (seeded) / limit. The order is deterministic, so the plan hash is too.
import { seededRandom, UsageError } from '../common/index.js';
import type { GridSize } from './case-grids.js';
import { type CaseParams, type CollectCase, makeCase, planHash } from './case-params.js';
import { type ModelOpSource, planModelCases } from './model-plan.js';
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

function matchesFilter(params: CaseParams, filter: string): boolean {
  const text = Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return filter.split(',').every((part) => text.includes(part.trim()));
}

export function buildPlan(options: PlanOptions): OpPlan[] {
  const modelCases =
    options.models && options.models.length > 0
      ? planModelCases({
          source: requireSource(options.modelSource),
          models: options.models,
          tps: options.tps ?? [1],
          gemmDtypes: options.gemmDtypes ?? ['bfloat16', 'fp8'],
        })
      : undefined;
  return options.ops.map((op) => {
    const spec = OP_REGISTRY[op];
    let params: CaseParams[] = modelCases
      ? (modelCases.get(op) ?? [])
      : spec.grid({ size: options.grid, ncclGpus: ncclGpuCounts(options.gpuCount) });
    if (op === 'nccl') params = params.filter((p) => Number(p['num_gpus']) <= options.gpuCount);
    if (options.caseFilter) params = params.filter((p) => matchesFilter(p, options.caseFilter as string));
    if (options.shuffle || options.smoke) params = shuffled(params, options.seed);
    if (options.smoke) params = params.slice(0, SMOKE_CASES_PER_OP);
    if (options.limit !== undefined) params = params.slice(0, options.limit);
    const cases = dedupe(params.map((p) => makeCase(op, p)));
    return { op, cases, hash: planHash(cases) };
  });
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
