// Turning `inferplan collect` flags into a plan and a campaign (kept out of src/cli so the CLI
// stays a thin parse -> call -> render layer, and so scripts can drive a campaign too).
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UnknownNameError, UsageError } from '../common/index.js';
import { GRID_SIZES } from './case-grids.js';
import { buildPlan, estimatePlanSeconds, type OpPlan } from './case-plan.js';
import { catalogModelSource } from './catalog-source.js';
import { BACKENDS, COLLECT_OPS, type CollectOp, isCollectOp } from './op-registry.js';
import { loadPlanFile, shardPlans } from './plan-file.js';

export const CollectFlagsSchema = z.object({
  backend: z.string(),
  ops: z.string().optional(),
  smoke: z.boolean().default(false),
  limit: z.string().optional(),
  shuffle: z.boolean().default(false),
  seed: z.string().default('1'),
  caseFilter: z.string().optional(),
  planOnly: z.boolean().default(false),
  model: z.array(z.string()).optional(),
  tp: z.string().optional(),
  grid: z.string().default('full'),
  out: z.string().default('collected'),
  checkpointDir: z.string().optional(),
  resume: z.boolean().default(false),
  resumeRetryFailed: z.boolean().default(false),
  measurePower: z.boolean().default(false),
  gpus: z.string().default('0'),
  caseTimeoutS: z.string().default('120'),
  helloTimeoutS: z.string().default('180'),
  worker: z.string().optional(),
  system: z.string().optional(),
  replace: z.boolean().default(false),
  recycleAfter: z.string().default('0'),
  charts: z.boolean().default(true),
  skipExisting: z.boolean().default(false),
  savePlan: z.string().optional(),
  planFile: z.string().optional(),
  shards: z.string().optional(),
  shardIndex: z.string().optional(),
});
export type CollectFlags = z.infer<typeof CollectFlagsSchema>;

const intFlag = (flag: string, value: string, min: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
};

export function parseIntList(flag: string, value: string, min = 1): number[] {
  return value
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => intFlag(flag, s.trim(), min));
}

export function parseOps(value: string | undefined): CollectOp[] {
  if (!value) return [...COLLECT_OPS];
  const out: CollectOp[] = [];
  for (const raw of value.split(',')) {
    const op = raw.trim();
    if (!isCollectOp(op)) throw new UsageError(`--ops: unknown op '${op}'; known: ${COLLECT_OPS.join(', ')}`);
    if (!out.includes(op)) out.push(op);
  }
  return out;
}

export interface ResolvedCollect {
  readonly plans: OpPlan[];
  readonly gpus: string[];
  readonly outDir: string;
  readonly checkpointDir: string;
  readonly caseTimeoutS: number;
  readonly helloTimeoutS: number;
  readonly recycleAfter: number;
  readonly workerCommand?: string[];
}

const warnOnStderr = (message: string): void => {
  process.stderr.write(`warning: ${message}\n`);
};

/** Flag pairs that contradict each other: refused up front rather than one silently winning. */
function checkFlagConflicts(flags: CollectFlags): void {
  if (flags.replace && flags.skipExisting)
    throw new UsageError(
      '--replace and --skip-existing contradict each other (one discards the existing tables, the other keeps their rows); pass one',
    );
}

export function resolveCollect(flags: CollectFlags, warn = warnOnStderr): ResolvedCollect {
  checkFlagConflicts(flags);
  if (!(BACKENDS as readonly string[]).includes(flags.backend))
    throw new UsageError(`--backend: unknown backend '${flags.backend}'; known: ${BACKENDS.join(', ')}`);
  if (!(GRID_SIZES as readonly string[]).includes(flags.grid))
    throw new UsageError(`--grid must be one of ${GRID_SIZES.join(', ')}, got '${flags.grid}'`);
  const gpus = flags.gpus
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  if (gpus.length === 0 || gpus.some((g) => !/^\d+$/.test(g)))
    throw new UsageError(`--gpus must list CUDA device ids like 0,1, got '${flags.gpus}'`);
  let models = (flags.model ?? [])
    .flatMap((m) => m.split(','))
    .map((m) => m.trim())
    .filter(Boolean);
  const source = models.length ? catalogModelSource() : undefined;
  if (source) {
    const known = source.listModels();
    // `--model all`: every model of the source (for the catalog: what inferplan can plan for).
    if (models.length === 1 && models[0] === 'all') models = [...known];
    models = models.map((m) => {
      const id = source.resolveModel(m);
      if (!id)
        throw new UnknownNameError('model', m, known, 'use an id from `inferplan models` or --model all');
      return id;
    });
  }
  let plans = flags.planFile
    ? planFromFile(flags.planFile, flags.ops)
    : buildPlan({
        ops: parseOps(flags.ops),
        grid: flags.grid as (typeof GRID_SIZES)[number],
        smoke: flags.smoke,
        ...(flags.limit !== undefined ? { limit: intFlag('--limit', flags.limit, 1) } : {}),
        shuffle: flags.shuffle,
        seed: intFlag('--seed', flags.seed, 0),
        ...(flags.caseFilter ? { caseFilter: flags.caseFilter } : {}),
        ...(models.length ? { models, tps: flags.tp ? parseIntList('--tp', flags.tp) : [1] } : {}),
        ...(source ? { modelSource: source } : {}),
        gpuCount: gpus.length,
        warn,
      });
  if (flags.shards !== undefined || flags.shardIndex !== undefined) {
    if (flags.shards === undefined || flags.shardIndex === undefined)
      throw new UsageError('--shards and --shard-index go together');
    plans = shardPlans(
      plans,
      intFlag('--shard-index', flags.shardIndex, 0),
      intFlag('--shards', flags.shards, 1),
    );
  }
  const outDir = resolve(flags.out);
  return {
    plans,
    gpus,
    outDir,
    checkpointDir: resolve(flags.checkpointDir ?? join(outDir, '.checkpoints', flags.backend)),
    caseTimeoutS: intFlag('--case-timeout-s', flags.caseTimeoutS, 1),
    helloTimeoutS: intFlag('--hello-timeout-s', flags.helloTimeoutS, 1),
    recycleAfter: intFlag('--recycle-after', flags.recycleAfter, 0),
    ...(flags.worker ? { workerCommand: flags.worker.split(/\s+/).filter(Boolean) } : {}),
  };
}

/** A saved plan's ops (only those of --ops when given); refuses one that leaves no case to run. */
function planFromFile(path: string, ops: string | undefined): OpPlan[] {
  const all = loadPlanFile(path).plans;
  const plans = ops ? all.filter((p) => parseOps(ops).includes(p.op)) : all;
  if (!plans.some((p) => p.cases.length > 0)) {
    const held = all.filter((p) => p.cases.length > 0).map((p) => p.op);
    throw new UsageError(
      ops && held.length > 0
        ? `--plan-file ${path} holds no ${parseOps(ops).join(', ')} cases (it holds ${held.join(', ')}); change --ops`
        : `--plan-file ${path} holds no cases; save a plan that has some (collect --plan-only --save-plan FILE)`,
    );
  }
  return plans;
}

export interface PlanSummaryRow {
  readonly op: CollectOp;
  readonly cases: number;
  readonly estimatedS: number;
  readonly hash: string;
}

export function summarizePlans(plans: readonly OpPlan[], gpuCount: number): PlanSummaryRow[] {
  return plans.map((p) => ({
    op: p.op,
    cases: p.cases.length,
    estimatedS: estimatePlanSeconds(p, gpuCount),
    hash: p.hash,
  }));
}
