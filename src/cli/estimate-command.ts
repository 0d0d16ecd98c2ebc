// `inferplan estimate`: predict one deployment's TTFT, TPOT, throughput and memory.
import type { Command } from 'commander';
import { UsageError } from '../common/index.js';
import { backendProfile } from '../engine/index.js';
import { decodeStep, prefillStep } from '../models/index.js';
import {
  describeTpotParts,
  describeTtftParts,
  renderTable,
  tpotPartsJson,
  ttftPartsJson,
} from '../report/index.js';
import { describeParallel } from '../search/index.js';
import type { ServingConfig, ServingMetrics, WorkerParallel, Workload } from '../serving/index.js';
import { clientsPerRank, type MeasuredAccuracy, measuredAccuracy } from '../silicon/index.js';
import {
  addContextOptions,
  addWorkloadOptions,
  buildContext,
  type ContextFlags,
  type DeploymentContext,
  describeEngine,
  engineJson,
  estimateBasis,
  MAX_CLIENTS,
  parsePositiveInt,
  workloadFromFlags,
} from './deployment-context.js';
import { parallelFromFlags } from './parallel-flags.js';
import { type GlobalOptions, printJson } from './run-command.js';

/** The metric box's value column wraps past this, so the box fits a 100-column terminal. */
const VALUE_WIDTH = 75;

interface EstimateFlags extends ContextFlags {
  mode: string;
  tp?: string;
  pp?: string;
  dp?: string;
  moeTp?: string;
  moeEp?: string;
  batchSize?: string;
  ctxTokens?: string;
  clients?: string;
  isl?: string;
  osl?: string;
  prefix?: string;
  nextn?: string;
  nextnAccept?: string;
  pTp?: string;
  pPp?: string;
  pDp?: string;
  pMoeTp?: string;
  pMoeEp?: string;
  pBatch?: string;
  pWorkers?: string;
  dTp?: string;
  dPp?: string;
  dDp?: string;
  dMoeTp?: string;
  dMoeEp?: string;
  dBatch?: string;
  dWorkers?: string;
  detail?: boolean;
}

// Flags of one mode that another would silently ignore, by their option keys ('pTp' is --p-tp).
const DISAGG_FLAGS = [
  ...(['p', 'd'] as const).flatMap((r) =>
    ['Tp', 'Pp', 'Dp', 'MoeTp', 'MoeEp', 'Batch', 'Workers'].map((f) => `${r}${f}`),
  ),
] as (keyof EstimateFlags)[];
const WORKER_FLAGS: (keyof EstimateFlags)[] = ['tp', 'pp', 'dp', 'moeTp', 'moeEp', 'batchSize', 'ctxTokens'];

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A flag of another mode would be silently ignored: say so instead. */
function refuseOtherModeFlags(flags: EstimateFlags): void {
  const given = (keys: readonly (keyof EstimateFlags)[]) =>
    keys.filter((key) => flags[key] !== undefined).map(flagName);
  if (flags.mode === 'disagg') {
    const stray = given(WORKER_FLAGS);
    if (stray.length > 0)
      throw new UsageError(
        `${stray.join(', ')}: with --mode disagg give each role's own (--p-tp, --d-batch, ...)`,
      );
  } else {
    const stray = given(DISAGG_FLAGS);
    if (stray.length > 0)
      throw new UsageError(`${stray.join(', ')}: only --mode disagg has prefill and decode roles`);
    if (flags.mode === 'static' && flags.clients !== undefined)
      throw new UsageError('--clients: a static estimate runs one batch; use --mode agg for clients');
    if (flags.mode === 'static' && flags.ctxTokens !== undefined)
      throw new UsageError(
        '--ctx-tokens: a static estimate prefills whole prompts; use --mode agg for a budget',
      );
  }
}

function configFrom(flags: EstimateFlags, ctx: DeploymentContext): ServingConfig {
  const model = ctx.model;
  refuseOtherModeFlags(flags);
  if (flags.mode === 'disagg') {
    const prefill = parallelFromFlags(
      { tp: flags.pTp, pp: flags.pPp, dp: flags.pDp, moeTp: flags.pMoeTp, moeEp: flags.pMoeEp },
      model,
      'p-',
    );
    const decode = parallelFromFlags(
      { tp: flags.dTp, pp: flags.dPp, dp: flags.dDp, moeTp: flags.dMoeTp, moeEp: flags.dMoeEp },
      model,
      'd-',
    );
    const clients =
      flags.clients === undefined
        ? undefined
        : parsePositiveInt('--clients', flags.clients, undefined, MAX_CLIENTS);
    return {
      mode: 'disagg',
      prefill: {
        parallel: prefill,
        batchSize: parsePositiveInt('--p-batch', flags.pBatch, 1),
        workers: parsePositiveInt('--p-workers', flags.pWorkers, 1),
      },
      decode: {
        parallel: decode,
        batchSize: parsePositiveInt('--d-batch', flags.dBatch, 64),
        workers: parsePositiveInt('--d-workers', flags.dWorkers, 1),
      },
      ...(clients !== undefined ? { clients } : {}),
    };
  }
  const parallel = parallelFromFlags(flags, model);
  const batchSize = parsePositiveInt('--batch-size', flags.batchSize, 8);
  if (flags.mode === 'static') return { mode: 'static', parallel, batchSize };
  if (flags.mode !== 'agg') throw new UsageError(`--mode must be static, agg or disagg, got '${flags.mode}'`);
  const clients =
    flags.clients === undefined
      ? undefined
      : parsePositiveInt('--clients', flags.clients, undefined, MAX_CLIENTS);
  return {
    mode: 'agg',
    parallel,
    batchSize,
    ctxTokens: parsePositiveInt(
      '--ctx-tokens',
      flags.ctxTokens,
      backendProfile(ctx.backend).defaultCtxTokens,
    ),
    ...(clients !== undefined ? { clients } : {}),
  };
}

function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function deploymentLine(config: ServingConfig): string {
  if (config.mode === 'disagg') {
    return (
      `${config.prefill.workers} prefill x (${describeParallel(config.prefill.parallel)}, batch ${config.prefill.batchSize}) + ` +
      `${config.decode.workers} decode x (${describeParallel(config.decode.parallel)}, batch ${config.decode.batchSize})`
    );
  }
  return `${describeParallel(config.parallel)}, batch ${config.batchSize}`;
}

function provenanceLine(m: ServingMetrics): string {
  return Object.entries(m.provenance)
    .filter(([, share]) => share > 0.0005)
    .map(([name, share]) => `${name} ${(share * 100).toFixed(1)}%`)
    .join(', ');
}

function metricsTable(
  ctx: DeploymentContext,
  config: ServingConfig,
  workload: Workload,
  m: ServingMetrics,
  accuracy: MeasuredAccuracy | undefined,
): string {
  const rows: [string, string][] = [
    ['model', ctx.model.id],
    ['system / backend', `${ctx.system.name} / ${ctx.backend} ${ctx.db.version} (${ctx.db.mode})`],
    ['mode', config.mode],
    ['deployment', deploymentLine(config)],
    ...(config.mode === 'static' ? [] : [['engine', describeEngine(ctx)] as [string, string]]),
    [
      'workload',
      `isl ${workload.isl}, osl ${workload.osl}, prefix ${workload.prefix}${workload.nextn ? `, nextn ${workload.nextn} (accept ${workload.nextnAccept})` : ''}`,
    ],
    [
      'quantisation',
      `gemm ${ctx.quant.gemm}, kv ${ctx.quant.kvCache}, fmha ${ctx.quant.fmha}, moe ${ctx.quant.moe}, comm ${ctx.quant.comm}`,
    ],
    ['TTFT', `${fmt(m.ttftMs)} ms`],
    ['  where it goes', describeTtftParts(m.ttftParts, (ms) => fmt(ms))],
    // One output token: there is no time per output token after the first.
    ...(workload.osl > 1
      ? ([
          ['TPOT', `${fmt(m.tpotMs, 2)} ms`],
          ['  where it goes', describeTpotParts(m.tpotParts, (ms) => fmt(ms, 2))],
        ] as [string, string][])
      : ([['TPOT', 'n/a (one output token)']] as [string, string][])),
    ['request latency', `${fmt(m.requestLatencyMs)} ms`],
    ['tokens/s/user', workload.osl > 1 ? fmt(m.tokensPerSPerUser) : 'n/a'],
    ['tokens/s/gpu', fmt(m.tokensPerSPerGpu)],
    ['tokens/s (replica)', fmt(m.tokensPerS)],
    ['requests/s', fmt(m.requestsPerS, 2)],
    ['concurrency', fmt(m.concurrency, 0)],
    ['GPUs', `${m.gpusPerReplica}`],
    [
      'memory per GPU',
      `${fmt(m.memBytesPerGpu / 2 ** 30)} GiB of ${fmt(ctx.system.gpu.mem_capacity_bytes / 2 ** 30)} GiB`,
    ],
    ['data behind it', provenanceLine(m)],
  ];
  // How far this kind of prediction landed from measurements (data/accuracy/).
  if (accuracy) rows.push(['measured accuracy', accuracy.line]);
  if (m.energyJPerToken !== undefined)
    rows.push(['energy', `${fmt(m.energyJPerToken, 3)} J/token at ${fmt(m.powerWPerGpu ?? 0, 0)} W/GPU`]);
  return renderTable(['metric', 'value'], rows, { maxWidths: [undefined, VALUE_WIDTH] });
}

function detailTables(ctx: DeploymentContext, config: ServingConfig, workload: Workload): string {
  const parallel: WorkerParallel = config.mode === 'disagg' ? config.prefill.parallel : config.parallel;
  const decodeParallel: WorkerParallel = config.mode === 'disagg' ? config.decode.parallel : config.parallel;
  const batch = config.mode === 'disagg' ? config.decode.batchSize : config.batchSize;
  const ctxBatch = config.mode === 'disagg' ? config.prefill.batchSize : 1;
  const steps = [
    {
      title: `context step (${ctxBatch} x ${workload.isl - workload.prefix} tokens)`,
      engine: ctx.estimator.engine,
      parallel,
      shape: prefillStep(
        Math.max(1, Math.ceil(ctxBatch / parallel.attentionDp)),
        workload.isl - workload.prefix,
        workload.prefix,
        1 + workload.nextn,
      ),
    },
    {
      title: `generation step (batch ${batch}, kv ${Math.round(workload.isl + workload.osl / 2)})`,
      engine: ctx.estimator.decodeEngine,
      parallel: decodeParallel,
      shape: decodeStep(
        Math.max(1, Math.ceil(batch / decodeParallel.attentionDp)),
        Math.round(workload.isl + workload.osl / 2),
        1 + workload.nextn,
      ),
    },
  ];
  let out = '';
  for (const step of steps) {
    const latency = step.engine.stepLatency(step.parallel, step.shape);
    const rows = latency.ops.map((op) => [
      op.name,
      `${op.count}`,
      fmt(op.latencyMs, 4),
      fmt(op.totalMs, 3),
      `${fmt((op.totalMs / latency.totalMs) * 100)}%`,
      op.latencyMs > 0 ? `${fmt((op.solMs / op.latencyMs) * 100)}%` : '-',
      op.provenance,
    ]);
    if (latency.launchOverheadMs > 0) {
      rows.push([
        `launch overhead (${latency.opInstances} ops)`,
        '',
        '',
        fmt(latency.launchOverheadMs, 3),
        `${fmt((latency.launchOverheadMs / latency.totalMs) * 100)}%`,
        '-',
        'empirical',
      ]);
    }
    rows.push([
      'total',
      '',
      '',
      fmt(latency.totalMs, 3),
      '100%',
      latency.totalMs > 0 ? `${fmt((latency.solMs / latency.totalMs) * 100)}%` : '-',
      '',
    ]);
    out += `\n${step.title}\n`;
    out += renderTable(['op', 'count', 'ms each', 'ms total', 'share', '% of SOL', 'provenance'], rows);
  }
  const kvTokens = Math.ceil(batch / decodeParallel.attentionDp) * (workload.isl + workload.osl);
  const mem = ctx.estimator.decodeEngine.memory(
    decodeParallel,
    kvTokens,
    backendProfile(ctx.backend).defaultCtxTokens,
  );
  const gib = (b: number) => `${fmt(b / 2 ** 30, 2)} GiB`;
  out += '\nmemory per GPU\n';
  out += renderTable(
    ['part', 'size'],
    [
      ['weights', gib(mem.weightsBytes)],
      [`KV cache (${kvTokens} tokens)`, gib(mem.kvCacheBytes)],
      ['activations', gib(mem.activationsBytes)],
      ['NCCL buffers', gib(mem.ncclBytes)],
      ['framework', gib(mem.frameworkBytes)],
      ['total', gib(mem.totalBytes)],
      [
        `usable (${backendProfile(ctx.backend).memFraction * 100}% of ${gib(mem.capacityBytes)})`,
        gib(mem.usableBytes),
      ],
      ['max KV tokens per rank', `${mem.maxKvTokens}`],
    ],
  );
  return out;
}

export function registerEstimateCommand(program: Command, globals: () => GlobalOptions): void {
  const command = program
    .command('estimate')
    .description('predict TTFT, TPOT, throughput and memory of one deployment');
  addWorkloadOptions(addContextOptions(command, { backend: 'torch' }))
    .option('--mode <mode>', 'static | agg | disagg', 'agg')
    .option('--tp <n>', 'tensor parallel size')
    .option('--pp <n>', 'pipeline parallel size')
    .option('--dp <n>', 'attention data parallel size (MoE)')
    .option('--moe-tp <n>', 'MoE tensor parallel size')
    .option('--moe-ep <n>', 'MoE expert parallel size')
    .option('--batch-size <n>', 'max concurrent requests per worker (agg, static)')
    .option('--ctx-tokens <n>', 'context-token budget per step (agg chunked prefill)')
    .option('--clients <n>', 'closed-loop clients driving the deployment (default: the batch size)')
    .option('--p-tp <n>', 'prefill workers: tp')
    .option('--p-pp <n>', 'prefill workers: pp')
    .option('--p-dp <n>', 'prefill workers: attention dp')
    .option('--p-moe-tp <n>', 'prefill workers: MoE tp')
    .option('--p-moe-ep <n>', 'prefill workers: MoE ep')
    .option('--p-batch <n>', 'prefill workers: batch')
    .option('--p-workers <n>', 'number of prefill workers')
    .option('--d-tp <n>', 'decode workers: tp')
    .option('--d-pp <n>', 'decode workers: pp')
    .option('--d-dp <n>', 'decode workers: attention dp')
    .option('--d-moe-tp <n>', 'decode workers: MoE tp')
    .option('--d-moe-ep <n>', 'decode workers: MoE ep')
    .option('--d-batch <n>', 'decode workers: batch')
    .option('--d-workers <n>', 'number of decode workers')
    .option('--detail', 'add the per-op table and the memory breakdown', false)
    .option('--enforce-eager', 'decode steps run without CUDA graphs (priced on the torch backend)', false)
    .action(async (flags: EstimateFlags) => {
      const ctx = await buildContext(flags);
      const workload = workloadFromFlags(flags);
      const config = configFrom(flags, ctx);
      const metrics = ctx.estimator.estimate(config, workload);
      const accuracy = measuredAccuracy(
        ctx.backend,
        ctx.system.name,
        config.mode,
        estimateBasis(ctx, flags.perfData),
        config.mode === 'static' ? undefined : clientsPerRank(config, metrics.concurrency),
      );
      if (globals().json) {
        printJson({
          model: ctx.model.id,
          system: ctx.system.name,
          backend: ctx.backend,
          version: ctx.db.version,
          database_mode: ctx.db.mode,
          config,
          workload,
          quant: ctx.quant,
          engine: engineJson(ctx),
          metrics: {
            ttft_ms: metrics.ttftMs,
            ttft_parts_ms: ttftPartsJson(metrics.ttftParts),
            tpot_ms: workload.osl > 1 ? metrics.tpotMs : null,
            tpot_parts_ms: tpotPartsJson(metrics.tpotParts),
            request_latency_ms: metrics.requestLatencyMs,
            tokens_per_s_per_user: workload.osl > 1 ? metrics.tokensPerSPerUser : null,
            tokens_per_s_per_gpu: metrics.tokensPerSPerGpu,
            tokens_per_s: metrics.tokensPerS,
            requests_per_s: metrics.requestsPerS,
            concurrency: metrics.concurrency,
            gpus: metrics.gpusPerReplica,
            mem_bytes_per_gpu: metrics.memBytesPerGpu,
            provenance: metrics.provenance,
            ...(metrics.energyJPerToken !== undefined ? { energy_j_per_token: metrics.energyJPerToken } : {}),
          },
          ...(accuracy ? { measured_accuracy: accuracy.json } : {}),
        });
        return;
      }
      let out = metricsTable(ctx, config, workload, metrics, accuracy);
      if (flags.detail) out += detailTables(ctx, config, workload);
      process.stdout.write(out);
    });
}
