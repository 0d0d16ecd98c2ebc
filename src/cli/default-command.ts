// `inferplan default`: search aggregated and disaggregated deployments for a model on N GPUs
// under latency targets, show the trade-off and pick the best.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InfeasibleError, UsageError } from '../common/index.js';
import { createProgress, renderSearchReport, searchResultJson, writeSearchSaveDir } from '../report/index.js';
import {
  type ExperimentSpec,
  OBJECTIVES,
  type Objective,
  type SearchMode,
  type SearchResult,
  searchDeployments,
} from '../search/index.js';
import type { Workload } from '../serving/index.js';
import {
  addContextOptions,
  buildContext,
  type ContextFlags,
  parseNumber,
  parsePositiveInt,
  workloadFromFlags,
} from './deployment-context.js';
import { type GlobalOptions, printJson } from './run-command.js';

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

function modesOf(value: string): SearchMode[] {
  if (value === 'both') return ['agg', 'disagg'];
  if (value === 'agg' || value === 'disagg') return [value];
  throw new UsageError(`--serving-mode must be agg, disagg or both, got '${value}'`);
}

function objectiveOf(value: string): Objective {
  if (!(OBJECTIVES as readonly string[]).includes(value)) {
    throw new UsageError(`--objective must be one of ${OBJECTIVES.join(', ')}, got '${value}'`);
  }
  return value as Objective;
}

export function registerDefaultCommand(program: Command, globals: () => GlobalOptions): void {
  const command = program
    .command('default')
    .description('search deployments of a model on N GPUs under TTFT/TPOT targets and pick the best');
  addContextOptions(command, { backend: 'torch' })
    .requiredOption('--gpus <n>', 'GPUs available')
    .option('--isl <n>', 'input tokens per request', '4000')
    .option('--osl <n>', 'output tokens per request', '1000')
    .option('--prefix <n>', 'input tokens served from the prefix cache', '0')
    .option('--nextn <n>', 'speculative (MTP) draft tokens per step', '0')
    .option('--nextn-accept <x>', 'mean accepted draft tokens per step')
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
      const totalGpus = parsePositiveInt('--gpus', flags.gpus);
      const workload: Workload = workloadFromFlags(flags);
      const ttftMs = parseNumber('--ttft', flags.ttft, 2000);
      const tpotMs = parseNumber('--tpot', flags.tpot, 30);
      const sla = {
        ttftMs,
        tpotMs,
        ...(flags.requestLatency
          ? { requestLatencyMs: parseNumber('--request-latency', flags.requestLatency, 0) }
          : {}),
        strict: Boolean(flags.strictSla),
      };
      const modes = modesOf(flags.servingMode);
      const objective = objectiveOf(flags.objective);
      const ctx = await buildContext(flags);
      const decodeCtx = flags.decodeSystem
        ? await buildContext({ ...flags, system: flags.decodeSystem })
        : undefined;
      const gpuHourUsd =
        flags.gpuHourCost !== undefined
          ? parseNumber('--gpu-hour-cost', flags.gpuHourCost, 0)
          : ctx.system.price?.gpu_hour_usd;
      const progress = globals().json
        ? undefined
        : createProgress({ label: 'search', unit: 'configs', total: 1 });
      let result: SearchResult;
      try {
        result = searchDeployments({
          estimator: ctx.estimator,
          ...(decodeCtx ? { decodeEstimator: decodeCtx.estimator } : {}),
          totalGpus,
          workload,
          sla,
          modes,
          topN: parsePositiveInt('--top-n', flags.topN, 5),
          objective,
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
      } finally {
        progress?.stop();
      }
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
        top_n: parsePositiveInt('--top-n', flags.topN, 5),
        quant: {
          gemm: ctx.quant.gemm,
          kv_cache: ctx.quant.kvCache,
          fmha: ctx.quant.fmha,
          moe: ctx.quant.moe,
          comm: ctx.quant.comm,
        },
        ...(gpuHourUsd !== undefined ? { gpu_hour_usd: gpuHourUsd } : {}),
      };
      const header =
        `${ctx.model.id} on ${totalGpus} x ${ctx.system.name}${decodeCtx ? ` (decode on ${decodeCtx.system.name})` : ''}, ` +
        `${ctx.backend} ${ctx.db.version} (${ctx.db.mode} data)\n`;
      const report = header + renderSearchReport(result);
      if (flags.saveDir)
        await writeSearchSaveDir(flags.saveDir, { result, experiments: [experiment], reportText: report });
      if (globals().json) {
        printJson({
          model: ctx.model.id,
          system: ctx.system.name,
          backend: ctx.backend,
          version: ctx.db.version,
          ...searchResultJson(result),
        });
        return;
      }
      process.stdout.write(report);
      if (flags.saveDir) process.stdout.write(`saved to ${flags.saveDir}\n`);
      if (!result.best) process.exitCode = 8;
    });
}
