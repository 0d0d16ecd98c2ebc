// `inferplan default`: search aggregated and disaggregated deployments for a model on N GPUs
// under latency targets, show the trade-off and pick the best.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InfeasibleError, PerfDataMissingError, UsageError } from '../common/index.js';
import { BACKENDS, isBackend } from '../engine/index.js';
import { EMBEDDED_PERF_DIR, scanPerfData } from '../perfdb/index.js';
import { createProgress, renderSearchReport, searchResultJson, writeSearchSaveDir } from '../report/index.js';
import {
  compareByObjective,
  type ExperimentSpec,
  OBJECTIVES,
  type Objective,
  type SearchMode,
  type SearchResult,
  type Sla,
  searchDeployments,
} from '../search/index.js';
import type { Workload } from '../serving/index.js';
import { clientsPerRank, measuredAccuracy } from '../silicon/index.js';
import {
  addContextOptions,
  addWorkloadOptions,
  buildRoleContexts,
  type ContextFlags,
  type DeploymentContext,
  describeEngine,
  engineJson,
  estimateBasis,
  MAX_GPUS,
  parseNumber,
  parsePositiveInt,
  parsePositiveNumber,
  workloadFromFlags,
} from './deployment-context.js';
import { type GlobalOptions, printJson } from './run-command.js';
import { parseObjective, parseServingModes } from './search-flags.js';

interface DefaultFlags extends ContextFlags {
  gpus?: string;
  isl?: string;
  osl?: string;
  prefix?: string;
  nextn?: string;
  nextnAccept?: string;
  ttft?: string;
  tpot?: string;
  requestLatency?: string;
  strictSla?: boolean;
  servingMode: string;
  decodeSystem?: string;
  topN?: string;
  objective: string;
  gpuHourCost?: string;
  saveDir?: string;
  exhaustive?: boolean;
}

interface SearchSettings {
  readonly totalGpus: number;
  readonly workload: Workload;
  readonly sla: Sla;
  readonly modes: readonly SearchMode[];
  readonly objective: Objective;
  readonly topN: number;
}

interface BackendRun {
  readonly ctx: DeploymentContext;
  readonly decodeCtx?: DeploymentContext;
  readonly result: SearchResult;
  readonly gpuHourUsd?: number;
}

/** Backends with perf data for the system (for --backend auto), in a fixed order. */
function backendsWithData(flags: DefaultFlags): string[] {
  const root = flags.perfData ?? EMBEDDED_PERF_DIR;
  const catalog = existsSync(root) ? scanPerfData(root) : undefined;
  const found = [...(catalog?.systems.get(flags.system)?.keys() ?? [])].filter((b) => isBackend(b));
  if (found.length === 0) {
    throw new PerfDataMissingError(
      `--backend auto: no perf data for ${flags.system} under ${root}; see 'inferplan db ls${flags.perfData ? ` --perf-data ${flags.perfData}` : ''}'`,
    );
  }
  return BACKENDS.filter((b) => found.includes(b));
}

async function searchOneBackend(
  flags: DefaultFlags,
  settings: SearchSettings,
  quiet: boolean,
): Promise<BackendRun> {
  const { ctx, decodeCtx } = await buildRoleContexts(flags, flags.decodeSystem);
  const gpuHourUsd =
    flags.gpuHourCost !== undefined
      ? parseNumber('--gpu-hour-cost', flags.gpuHourCost, 0)
      : ctx.system.price?.gpu_hour_usd;
  const progress = quiet
    ? undefined
    : createProgress({ label: `search ${ctx.backend}`, unit: 'configs', total: 1 });
  try {
    const result = searchDeployments({
      estimator: ctx.estimator,
      ...(decodeCtx ? { decodeEstimator: decodeCtx.estimator } : {}),
      totalGpus: settings.totalGpus,
      workload: settings.workload,
      sla: settings.sla,
      modes: settings.modes,
      topN: settings.topN,
      objective: settings.objective,
      ...(gpuHourUsd !== undefined ? { gpuHourUsd } : {}),
      ...(decodeCtx?.system.price ? { decodeGpuHourUsd: decodeCtx.system.price.gpu_hour_usd } : {}),
      parallelSpace: { isMoe: Boolean(ctx.model.moe), gpusPerNode: ctx.system.node.gpus_per_node },
      ...(decodeCtx
        ? {
            decodeParallelSpace: {
              isMoe: Boolean(ctx.model.moe),
              gpusPerNode: decodeCtx.system.node.gpus_per_node,
            },
          }
        : {}),
      exhaustive: Boolean(flags.exhaustive),
      ...(progress ? { onProgress: (done: number, total: number) => progress.update(done, total) } : {}),
    });
    return {
      ctx,
      ...(decodeCtx ? { decodeCtx } : {}),
      result,
      ...(gpuHourUsd !== undefined ? { gpuHourUsd } : {}),
    };
  } finally {
    progress?.stop();
  }
}

/** The run whose best point wins on the objective (runs without a best point lose). */
function pickBestRun(runs: readonly BackendRun[], objective: Objective): BackendRun {
  let best = runs[0]!;
  for (const run of runs.slice(1)) {
    if (!run.result.best) continue;
    if (!best.result.best || compareByObjective(run.result.best, best.result.best, objective) < 0) best = run;
  }
  return best;
}

export function registerDefaultCommand(program: Command, globals: () => GlobalOptions): void {
  const command = program
    .command('default')
    .description('search deployments of a model on N GPUs under TTFT/TPOT targets and pick the best');
  addWorkloadOptions(addContextOptions(command, { backend: 'torch', allowAuto: true }))
    .requiredOption('--gpus <n>', 'GPUs available')
    .option('--ttft <ms>', 'TTFT target, ms', '2000')
    .option('--tpot <ms>', 'TPOT target (time per output token after the first), ms', '30')
    .option('--request-latency <ms>', 'end-to-end request latency target, ms (advisory unless --strict-sla)')
    .option('--strict-sla', 'every given target must be met', false)
    .option('--serving-mode <mode>', 'agg, disagg or both', 'both')
    .option('--decode-system <name>', 'run disaggregated decode workers on another GPU system')
    .option('--top-n <n>', 'rows per mode in the tables', '5')
    .option('--objective <name>', `what "best" maximises: ${OBJECTIVES.join(', ')}`, 'tokens-per-gpu')
    .option('--gpu-hour-cost <usd>', 'price of one GPU-hour (adds cost per million tokens)')
    .option('--exhaustive', 'evaluate every batch and context budget instead of pruning hopeless ones', false)
    .option(
      '--save-dir <dir>',
      'write best configs, Pareto CSVs, the chart (SVG) and a re-runnable experiment',
    )
    .action(async (flags: DefaultFlags) => {
      const totalGpus = parsePositiveInt('--gpus', flags.gpus, undefined, MAX_GPUS);
      const workload: Workload = workloadFromFlags(flags);
      const ttftMs = parsePositiveNumber('--ttft', flags.ttft, 2000);
      const tpotMs = parsePositiveNumber('--tpot', flags.tpot, 30);
      const sla = {
        ttftMs,
        tpotMs,
        ...(flags.requestLatency
          ? { requestLatencyMs: parsePositiveNumber('--request-latency', flags.requestLatency, 0) }
          : {}),
        strict: Boolean(flags.strictSla),
      };
      const modes = parseServingModes(flags.servingMode);
      // A prefill worker and a decode worker take a GPU each at the least.
      if (totalGpus < 2 && modes.length === 1 && modes[0] === 'disagg')
        throw new UsageError(
          '--serving-mode disagg needs at least 2 GPUs (a prefill and a decode worker); raise --gpus',
        );
      if (flags.decodeSystem && !modes.includes('disagg'))
        throw new UsageError(
          '--decode-system places disaggregated decode workers; add --serving-mode disagg or both',
        );
      const objective = parseObjective(flags.objective);
      const topN = parsePositiveInt('--top-n', flags.topN, 5);
      const backends = flags.backend === 'auto' ? backendsWithData(flags) : [flags.backend];
      const runs: BackendRun[] = [];
      for (const backend of backends) {
        runs.push(
          await searchOneBackend(
            { ...flags, backend },
            { totalGpus, workload, sla, modes, objective, topN },
            globals().json,
          ),
        );
      }
      const best = pickBestRun(runs, objective);
      const { ctx, decodeCtx, result, gpuHourUsd } = best;
      if (result.points.length === 0) {
        throw new InfeasibleError(
          `${ctx.model.id} fits no configuration on ${totalGpus} x ${ctx.system.name} ` +
            `(${result.counts.parallelLayouts} layouts, ${result.counts.infeasible} out of memory); ` +
            'add GPUs, quantise (--gemm-quant fp8, --kv-quant fp8) or shorten --isl/--osl',
        );
      }
      const experiment: ExperimentSpec = {
        name: 'default',
        model: ctx.model.id,
        system: ctx.system.name,
        ...(flags.decodeSystem ? { decode_system: flags.decodeSystem } : {}),
        backend: ctx.backend,
        ...(flags.version ? { backend_version: flags.version } : {}),
        // Absolute, so the saved experiment re-runs from anywhere.
        ...(flags.perfData ? { perf_data: resolve(flags.perfData) } : {}),
        database_mode: ctx.mode,
        ...(flags.moeDistribution ? { moe_distribution: flags.moeDistribution } : {}),
        // buildContext validated --scheduler; the profile holds it.
        ...(flags.scheduler ? { scheduler: ctx.estimator.profile.scheduler } : {}),
        total_gpus: totalGpus,
        workload: {
          isl: workload.isl,
          osl: workload.osl,
          prefix: workload.prefix,
          nextn: workload.nextn,
          nextn_accept: workload.nextnAccept,
        },
        sla: {
          ttft_ms: ttftMs,
          tpot_ms: tpotMs,
          ...(sla.requestLatencyMs !== undefined ? { request_latency_ms: sla.requestLatencyMs } : {}),
          strict: sla.strict,
        },
        modes,
        objective,
        exhaustive: Boolean(flags.exhaustive),
        top_n: topN,
        quant: {
          gemm: ctx.quant.gemm,
          kv_cache: ctx.quant.kvCache,
          fmha: ctx.quant.fmha,
          ...(ctx.model.moe ? { moe: ctx.quant.moe } : {}),
          comm: ctx.quant.comm,
        },
        ...(gpuHourUsd !== undefined ? { gpu_hour_usd: gpuHourUsd } : {}),
      };
      const autoLine =
        runs.length > 1
          ? `backend auto: ${runs.map((r) => `${r.ctx.backend} ${r.result.best ? `${r.result.best.tokensPerSPerGpu.toFixed(0)} tok/s/gpu` : 'no SLA-meeting config'}`).join(', ')}; best ${ctx.backend}\n`
          : '';
      const header =
        `${ctx.model.id} on ${totalGpus} x ${ctx.system.name}${decodeCtx ? ` (decode on ${decodeCtx.system.name})` : ''}, ` +
        `${ctx.backend} ${ctx.db.version} (${ctx.db.mode} data)\nengine: ${describeEngine(ctx)}\n${autoLine}`;
      // How far such predictions landed from measurements, for the winner's backend and mode.
      const accuracy = result.best
        ? measuredAccuracy(
            ctx.backend,
            ctx.system.name,
            result.best.mode,
            estimateBasis(ctx, flags.perfData),
            clientsPerRank(result.best.config, result.best.metrics.concurrency),
          )
        : undefined;
      const report =
        header + renderSearchReport(result) + (accuracy ? `Measured accuracy: ${accuracy.line}\n` : '');
      if (flags.saveDir)
        await writeSearchSaveDir(flags.saveDir, { result, experiments: [experiment], reportText: report });
      if (globals().json) {
        printJson({
          model: ctx.model.id,
          system: ctx.system.name,
          backend: ctx.backend,
          version: ctx.db.version,
          engine: engineJson(ctx),
          ...searchResultJson(result),
        });
        return;
      }
      process.stdout.write(report);
      if (flags.saveDir) process.stdout.write(`saved to ${flags.saveDir}\n`);
      if (!result.best) process.exitCode = 8;
    });
}
