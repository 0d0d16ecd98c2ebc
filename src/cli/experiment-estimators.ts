// Builds the estimators of one experiment (exp) from its spec: the same path `default` takes.
import { resolve } from 'node:path';
import type { ExperimentEstimators, ExperimentSpec } from '../search/index.js';
import { buildRoleContexts, type ContextFlags } from './deployment-context.js';

/** The predicting-command flags an experiment stands for. */
export function flagsOf(
  spec: ExperimentSpec,
  extraSystemsDirs: readonly string[],
  baseDir: string,
): ContextFlags {
  const q = spec.quant;
  return {
    model: spec.model,
    system: spec.system,
    backend: spec.backend,
    databaseMode: spec.database_mode,
    ...(spec.backend_version ? { version: spec.backend_version } : {}),
    // A relative perf_data path is read from the experiment file's folder, not the shell's.
    ...(spec.perf_data ? { perfData: resolve(baseDir, spec.perf_data) } : {}),
    ...(extraSystemsDirs.length > 0 ? { systemsDir: [...extraSystemsDirs] } : {}),
    ...(q?.policy ? { quantPolicy: q.policy } : {}),
    ...(q?.gemm ? { gemmQuant: q.gemm } : {}),
    ...(q?.kv_cache ? { kvQuant: q.kv_cache } : {}),
    ...(q?.fmha ? { fmhaQuant: q.fmha } : {}),
    ...(q?.moe ? { moeQuant: q.moe } : {}),
    ...(q?.comm ? { commQuant: q.comm } : {}),
    ...(spec.moe_distribution ? { moeDistribution: spec.moe_distribution } : {}),
    ...(spec.scheduler ? { scheduler: spec.scheduler } : {}),
  };
}

export async function experimentEstimators(
  spec: ExperimentSpec,
  extraSystemsDirs: readonly string[] = [],
  baseDir = process.cwd(),
): Promise<ExperimentEstimators> {
  const { ctx, decodeCtx: decode } = await buildRoleContexts(
    flagsOf(spec, extraSystemsDirs, baseDir),
    spec.decode_system,
  );
  const isMoe = Boolean(ctx.model.moe);
  return {
    estimator: ctx.estimator,
    parallelSpace: { isMoe, gpusPerNode: ctx.system.node.gpus_per_node },
    ...(ctx.system.price ? { gpuHourUsd: ctx.system.price.gpu_hour_usd } : {}),
    ...(decode
      ? {
          decodeEstimator: decode.estimator,
          decodeParallelSpace: { isMoe, gpusPerNode: decode.system.node.gpus_per_node },
          ...(decode.system.price ? { decodeGpuHourUsd: decode.system.price.gpu_hour_usd } : {}),
        }
      : {}),
  };
}
