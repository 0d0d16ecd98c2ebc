// Shared flag handling for commands that predict: model, system, backend + version, perf data,
// database mode and quantisation overrides -> an opened database and an estimator.
import type { Command } from 'commander';
import { DTYPES, type Dtype, isDtype, UnknownNameError, UsageError } from '../common/index.js';
import {
  BACKENDS,
  type Backend,
  backendProfile,
  type EngineSettings,
  isBackend,
  isSchedulerPolicy,
  pricesLaunchCost,
  SCHEDULER_POLICIES,
} from '../engine/index.js';
import { SystemRegistry, type SystemSpec, weightOnlyOn } from '../hardware/index.js';
import {
  loadModel,
  type ModelSpec,
  type QuantConfig,
  type QuantPolicy,
  resolveQuant,
} from '../models/index.js';
import {
  DATABASE_MODES,
  type DatabaseMode,
  MOE_ROUTINGS,
  type MoeRouting,
  openPerfDatabase,
  type PerfDatabase,
} from '../perfdb/index.js';
import {
  createEstimator,
  type RoleSystem,
  type ServingEstimatorHandle,
  type Workload,
} from '../serving/index.js';
import type { EstimateBasis } from '../silicon/index.js';

export interface ContextFlags {
  readonly model: string;
  readonly system: string;
  readonly backend: string;
  readonly version?: string;
  readonly perfData?: string;
  readonly databaseMode: string;
  readonly systemsDir?: string[];
  readonly gemmQuant?: string;
  readonly kvQuant?: string;
  readonly fmhaQuant?: string;
  readonly moeQuant?: string;
  readonly commQuant?: string;
  readonly moeDistribution?: string;
  /** --enforce-eager: decode steps without CUDA graphs (priced where the backend has launch costs). */
  readonly enforceEager?: boolean;
  /** --scheduler: how prefill and decode share steps, where the engine runs other than its default. */
  readonly scheduler?: string;
  /** Base formats before the overrides: the checkpoint's (default) or the GPU's fastest. */
  readonly quantPolicy?: QuantPolicy;
}

export interface DeploymentContext {
  readonly model: ModelSpec;
  readonly system: SystemSpec;
  readonly backend: Backend;
  readonly db: PerfDatabase;
  readonly quant: QuantConfig;
  readonly mode: DatabaseMode;
  readonly estimator: ServingEstimatorHandle;
  readonly systems: SystemRegistry;
}

/** What an estimate from this context rests on (which measured accuracy describes it). */
export function estimateBasis(ctx: DeploymentContext, perfData: string | undefined): EstimateBasis {
  // What the measured runs and steps ran in everywhere but the dense GEMMs: bf16 experts,
  // attention and KV cache.
  const q = ctx.quant;
  const bf16Elsewhere =
    (ctx.model.moe === undefined || q.moe === 'bfloat16') &&
    q.kvCache === 'bfloat16' &&
    q.fmha === 'bfloat16';
  return {
    databaseMode: ctx.mode,
    embeddedData: perfData === undefined,
    bf16: ctx.quant.gemm === 'bfloat16' && bf16Elsewhere,
    fp8Gemm: ctx.quant.gemm === 'fp8' && bf16Elsewhere,
  };
}

/** The engine behaviour an estimate assumes: scheduler, prompt chunking, CUDA graphs. */
export function describeEngine(ctx: DeploymentContext): string {
  const p = ctx.estimator.profile;
  return [
    `${p.scheduler} scheduler`,
    p.chunkedPrefill ? 'chunked prefill' : 'whole prompts',
    p.cudaGraphs ? 'CUDA-graph decode' : 'eager decode',
  ].join(', ');
}

/** The same, as JSON fields. */
export function engineJson(ctx: DeploymentContext): {
  scheduler: string;
  chunked_prefill: boolean;
  cuda_graphs: boolean;
} {
  const p = ctx.estimator.profile;
  return { scheduler: p.scheduler, chunked_prefill: p.chunkedPrefill, cuda_graphs: p.cudaGraphs };
}

/** Options every predicting command takes. */
export function addContextOptions(
  command: Command,
  defaults: { backend: string; allowAuto?: boolean },
): Command {
  return command
    .requiredOption(
      '--model <id|path>',
      'catalog id (e.g. Qwen/Qwen3-32B) or a Hugging Face config.json / folder',
    )
    .requiredOption('--system <name>', 'GPU system (see `inferplan systems`)')
    .option(
      '--backend <name>',
      `serving backend: ${BACKENDS.join(', ')}${defaults.allowAuto ? ', or auto (every backend with data; the best wins)' : ''}`,
      defaults.backend,
    )
    .option('--version <version>', 'backend version of the perf data (default: newest)')
    .option(
      '--perf-data <dir>',
      'perf data folder (an aiconfigurator systems/data folder or ours); default: embedded',
    )
    .option(
      '--database-mode <mode>',
      `how to answer ops without data: ${DATABASE_MODES.join(', ')}`,
      'silicon',
    )
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .option('--gemm-quant <dtype>', `GEMM weights/activations: ${DTYPES.join(', ')}`)
    .option('--kv-quant <dtype>', 'KV cache dtype')
    .option('--fmha-quant <dtype>', 'attention math dtype')
    .option('--moe-quant <dtype>', 'MoE expert dtype')
    .option('--comm-quant <dtype>', 'collective dtype')
    .option(
      '--moe-distribution <name>',
      `MoE routing: ${MOE_ROUTINGS.join(', ')} (default random: independent uniform picks)`,
    )
    .option(
      '--scheduler <policy>',
      "how prefill and decode share steps, where the engine runs other than its default: mixed (decodes ride along with prompt chunks; SGLang's --enable-mixed-chunk) or prefill-first (prompt steps carry no decodes)",
    );
}

function dtypeFlag(flag: string, value: string | undefined): Dtype | undefined {
  if (value === undefined) return undefined;
  if (!isDtype(value)) throw new UnknownNameError(`dtype for ${flag}`, value, DTYPES);
  return value;
}

export function parseBackend(value: string): Backend {
  if (!isBackend(value)) throw new UnknownNameError('backend', value, BACKENDS);
  return value;
}

export function parseDatabaseMode(value: string): DatabaseMode {
  if (!(DATABASE_MODES as readonly string[]).includes(value))
    throw new UnknownNameError('database mode', value, DATABASE_MODES);
  return value as DatabaseMode;
}

/** Bounds that keep a search or a simulation finite; far above any deployment. */
export const MAX_GPUS = 65_536;
export const MAX_CLIENTS = 100_000;

// Plain decimal digits only: Number() would also take '0x10', '1e3' and ' 12 ', which are typos
// more often than intent.
const INTEGER_TEXT = /^\d+$/;
const NUMBER_TEXT = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parsePositiveInt(
  flag: string,
  value: string | undefined,
  fallback?: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`${flag} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!INTEGER_TEXT.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
  if (n > max) throw new UsageError(`${flag} ${n} is more than the ${max} supported`);
  return n;
}

export function parseNonNegativeInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!INTEGER_TEXT.test(value.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(`${flag} must be a non-negative integer, got '${value}'`);
  return n;
}

function parsedNumber(flag: string, value: string, positive: boolean): number {
  const n = Number(value);
  if (!NUMBER_TEXT.test(value.trim()) || !Number.isFinite(n) || (positive && n <= 0))
    throw new UsageError(
      `${flag} must be a ${positive ? 'positive' : 'non-negative'} number, got '${value}'`,
    );
  return n;
}

export function parseNumber(flag: string, value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : parsedNumber(flag, value, false);
}

/** A target or rate that must be above zero (latency targets, request rates). */
export function parsePositiveNumber(flag: string, value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : parsedNumber(flag, value, true);
}

/**
 * The context of a deployment; with `decode`, its estimator sizes whole replicas whose decode
 * workers run on that other system (heterogeneous disaggregation).
 */
export async function buildContext(flags: ContextFlags, decode?: RoleSystem): Promise<DeploymentContext> {
  const systems = new SystemRegistry(flags.systemsDir ?? []);
  const system = systems.get(flags.system);
  const model = loadModel(flags.model);
  const backend = parseBackend(flags.backend);
  const mode = parseDatabaseMode(flags.databaseMode);
  if (flags.scheduler !== undefined && !isSchedulerPolicy(flags.scheduler))
    throw new UsageError(
      `--scheduler must be one of ${SCHEDULER_POLICIES.join(', ')}, got '${flags.scheduler}'`,
    );
  const engine: EngineSettings = {
    ...(flags.enforceEager ? { cudaGraphs: false } : {}),
    ...(flags.scheduler !== undefined ? { scheduler: flags.scheduler } : {}),
  };
  let moeDistribution: MoeRouting | undefined;
  if (flags.moeDistribution !== undefined) {
    if (!(MOE_ROUTINGS as readonly string[]).includes(flags.moeDistribution)) {
      throw new UnknownNameError('MoE distribution', flags.moeDistribution, MOE_ROUTINGS);
    }
    moeDistribution = flags.moeDistribution as MoeRouting;
  }
  if (!model.moe) {
    // Saved experiments carry the whole resolved quantisation, a dense model's moe entry included:
    // only a format that asks for something different is a mistake.
    const moeQuantAsked =
      flags.moeQuant !== undefined &&
      dtypeFlag('--moe-quant', flags.moeQuant) !==
        resolveQuant(model, system.gpu.sm_version, {}, flags.quantPolicy).moe;
    const moeFlag = moeQuantAsked
      ? '--moe-quant'
      : flags.moeDistribution !== undefined
        ? '--moe-distribution'
        : undefined;
    if (moeFlag) throw new UsageError(`${moeFlag} applies to MoE models; ${model.id} is dense`);
  }
  const overrides: { -readonly [K in keyof QuantConfig]?: QuantConfig[K] } = {};
  const pairs: [keyof QuantConfig, string, string | undefined][] = [
    ['gemm', '--gemm-quant', flags.gemmQuant],
    ['kvCache', '--kv-quant', flags.kvQuant],
    ['fmha', '--fmha-quant', flags.fmhaQuant],
    ['moe', '--moe-quant', flags.moeQuant],
    ['comm', '--comm-quant', flags.commQuant],
  ];
  for (const [key, flag, value] of pairs) {
    const dtype = dtypeFlag(flag, value);
    if (dtype) overrides[key] = dtype;
  }
  const quant = resolveQuant(model, system.gpu.sm_version, overrides, flags.quantPolicy);
  const weightOnly = (['gemm', 'moe'] as const).filter(
    (k) => (k === 'gemm' || model.moe) && weightOnlyOn(system, quant[k]),
  );
  if (weightOnly.length > 0) {
    process.stderr.write(
      `warning: ${system.name} (SM${system.gpu.sm_version}) has no ${[...new Set(weightOnly.map((k) => quant[k]))].join('/')} tensor cores; ` +
        `${weightOnly.join(' and ')} priced as weight-only (16-bit math on dequantised weights), as engines run them there\n`,
    );
  }
  const db = await openPerfDatabase({
    system,
    backend,
    mode,
    ...(flags.version ? { version: flags.version } : {}),
    ...(flags.perfData ? { perfDataDir: flags.perfData } : {}),
  });
  const estimator = createEstimator({
    model,
    system,
    db,
    quant,
    backend,
    ...(moeDistribution ? { moeDistribution } : {}),
    ...(decode ? { decode } : {}),
    engine,
  });
  if (flags.enforceEager && !pricesLaunchCost(backendProfile(backend))) {
    process.stderr.write(
      `warning: --enforce-eager changes nothing on ${backend}: its tables carry no launch costs to price eager decode with (only torch has them)\n`,
    );
  }
  return { model, system, backend, db, quant, mode, estimator, systems };
}

/** The prefill-side context and, with a decode system, the decode-side one (see buildContext). */
export async function buildRoleContexts(
  flags: ContextFlags,
  decodeSystem: string | undefined,
): Promise<{ ctx: DeploymentContext; decodeCtx?: DeploymentContext }> {
  if (!decodeSystem) return { ctx: await buildContext(flags) };
  const decodeCtx = await buildContext({ ...flags, system: decodeSystem });
  const ctx = await buildContext(flags, { system: decodeCtx.system, db: decodeCtx.db });
  return { ctx, decodeCtx };
}

export interface WorkloadFlags {
  readonly isl?: string;
  readonly osl?: string;
  readonly prefix?: string;
  readonly nextn?: string;
  readonly nextnAccept?: string;
}

/** The workload flags every predicting command takes (read back by workloadFromFlags). */
export function addWorkloadOptions(command: Command): Command {
  return command
    .option('--isl <n>', 'input tokens per request', '4000')
    .option('--osl <n>', 'output tokens per request', '1000')
    .option('--prefix <n>', 'input tokens served from the prefix cache', '0')
    .option('--nextn <n>', 'speculative (MTP) draft tokens per step', '0')
    .option('--nextn-accept <x>', 'mean accepted draft tokens per step');
}

/** --isl --osl --prefix --nextn --nextn-accept, checked against each other. */
export function workloadFromFlags(flags: WorkloadFlags): Workload {
  const isl = parsePositiveInt('--isl', flags.isl, 4000);
  const prefix = parseNonNegativeInt('--prefix', flags.prefix, 0);
  if (prefix >= isl) throw new UsageError(`--prefix ${prefix} must be smaller than --isl ${isl}`);
  const nextn = parseNonNegativeInt('--nextn', flags.nextn, 0);
  // Without a measured acceptance rate, assume 70% of the draft tokens are accepted.
  const nextnAccept = parseNumber('--nextn-accept', flags.nextnAccept, 0.7 * nextn);
  if (nextnAccept > nextn)
    throw new UsageError(`--nextn-accept ${nextnAccept} cannot exceed --nextn ${nextn}`);
  return { isl, osl: parsePositiveInt('--osl', flags.osl, 1000), prefix, nextn, nextnAccept };
}
