// `inferplan recommend`: the fewest GPUs (and the configuration) that carry a load within the SLA.
import type { Command } from 'commander';
import { UsageError } from '../common/index.js';
import { recommendResultJson, renderRecommendation } from '../report/index.js';
import { type LoadTarget, OBJECTIVES, recommendDeployment } from '../search/index.js';
import {
  addContextOptions,
  addWorkloadOptions,
  buildContext,
  type ContextFlags,
  describeEngine,
  parseNumber,
  parsePositiveInt,
  parsePositiveNumber,
  workloadFromFlags,
} from './deployment-context.js';
import { type GlobalOptions, printJson } from './run-command.js';
import { parseObjective, parseServingModes } from './search-flags.js';

interface RecommendFlags extends ContextFlags {
  targetRate?: string;
  targetConcurrency?: string;
  isl?: string;
  osl?: string;
  prefix?: string;
  ttft?: string;
  tpot?: string;
  servingMode: string;
  objective: string;
  maxGpusPerReplica?: string;
  gpuHourCost?: string;
}

export function registerRecommendCommand(program: Command, globals: () => GlobalOptions): void {
  const command = program
    .command('recommend')
    .description('the fewest GPUs, and the configuration, that carry a target load within the SLA');
  addWorkloadOptions(addContextOptions(command, { backend: 'torch' }))
    .option('--target-rate <req/s>', 'requests per second to carry')
    .option('--target-concurrency <n>', 'concurrent requests to carry')
    .option('--ttft <ms>', 'TTFT target, ms', '2000')
    .option('--tpot <ms>', 'TPOT target, ms', '30')
    .option('--serving-mode <mode>', 'agg, disagg or both', 'both')
    .option(
      '--objective <name>',
      `tie-break among equal GPU counts: ${OBJECTIVES.join(', ')}`,
      'tokens-per-gpu',
    )
    .option('--max-gpus-per-replica <n>', 'largest replica considered', '64')
    .option('--gpu-hour-cost <usd>', 'price of one GPU-hour (adds cost per million tokens)')
    .action(async (flags: RecommendFlags) => {
      if ((flags.targetRate === undefined) === (flags.targetConcurrency === undefined)) {
        throw new UsageError('give exactly one of --target-rate R or --target-concurrency C');
      }
      const target: LoadTarget =
        flags.targetRate !== undefined
          ? { requestsPerS: parseNumber('--target-rate', flags.targetRate, 0) }
          : { concurrency: parsePositiveInt('--target-concurrency', flags.targetConcurrency) };
      const modes = parseServingModes(flags.servingMode);
      const objective = parseObjective(flags.objective);
      const workload = workloadFromFlags(flags);
      const ctx = await buildContext(flags);
      const gpuHourUsd =
        flags.gpuHourCost !== undefined
          ? parseNumber('--gpu-hour-cost', flags.gpuHourCost, 0)
          : ctx.system.price?.gpu_hour_usd;
      const result = recommendDeployment({
        estimator: ctx.estimator,
        target,
        workload,
        sla: {
          ttftMs: parsePositiveNumber('--ttft', flags.ttft, 2000),
          tpotMs: parsePositiveNumber('--tpot', flags.tpot, 30),
        },
        modes,
        objective,
        maxGpusPerReplica: parsePositiveInt('--max-gpus-per-replica', flags.maxGpusPerReplica, 64),
        parallelSpace: { isMoe: Boolean(ctx.model.moe), gpusPerNode: ctx.system.node.gpus_per_node },
        ...(gpuHourUsd !== undefined ? { gpuHourUsd } : {}),
      });
      if (globals().json) {
        printJson({
          model: ctx.model.id,
          system: ctx.system.name,
          backend: ctx.backend,
          ...recommendResultJson(result),
        });
      } else {
        process.stdout.write(
          `${ctx.model.id} on ${ctx.system.name}, ${ctx.backend} ${ctx.db.version}\nengine: ${describeEngine(ctx)}\n`,
        );
        process.stdout.write(renderRecommendation(result));
      }
      if (!result.recommendation) process.exitCode = 8;
    });
}
