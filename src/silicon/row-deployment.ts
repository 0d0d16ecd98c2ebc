// The deployment a measured row describes: its parallel layout, batch and clients, the formats
// its labels name, and what to assume where a disaggregated row leaves its worker counts out.
import { type Dtype, isDtype } from '../common/index.js';
import type { ModelSpec } from '../models/index.js';
import type { ServingConfig, ServingEstimatorHandle, WorkerParallel, Workload } from '../serving/index.js';
import { rowCtxTokens, type SiliconRow, siliconConcurrency } from './silicon-row.js';

/** A row's quantisation label as one of our formats (fp4 labels as nvfp4; blank: none). */
export function quantName(value: string): Dtype | undefined {
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  if (v === 'fp4' || v === 'nvfp4') return 'nvfp4';
  if (v === 'bf16') return 'bfloat16';
  if (v === 'fp16') return 'float16';
  return isDtype(v) ? v : undefined;
}

/**
 * The formats a row's labels name, as overrides of the checkpoint's. A 4-bit float label on a
 * checkpoint that ships MXFP4 experts (GPT-OSS) names those experts: the checkpoint's formats stand
 * (attention bf16, experts MXFP4), whatever the export wrote. Weight-only int4 checkpoints
 * (Kimi-K2.5) quantise the experts only; attention stays as shipped.
 */
export function rowQuantOverrides(row: SiliconRow, model: ModelSpec): { gemm?: Dtype; moe?: Dtype } {
  const overrides: { gemm?: Dtype; moe?: Dtype } = {};
  const gemm = quantName(row.gemm_quant_mode) ?? quantName(row.precision);
  const moe = quantName(row.moe_quant_mode) ?? gemm;
  const shipsMxfp4 = model.checkpointQuant?.moe === 'mxfp4' && (gemm === 'nvfp4' || gemm === 'mxfp4');
  if (gemm && !shipsMxfp4 && !(gemm === 'int4_wo' && model.moe)) overrides.gemm = gemm;
  if (moe && !shipsMxfp4 && model.moe) overrides.moe = moe;
  return overrides;
}

function parallelOf(
  tp: number | undefined,
  pp: number | undefined,
  dp: number | undefined,
  moeTp: number | undefined,
  moeEp: number | undefined,
  model: ModelSpec,
): WorkerParallel {
  const t = tp ?? 1;
  // Some exports leave attention DP blank while the experts span more GPUs than tp: the
  // experts span tp * dp GPUs, so dp follows from moe_tp * moe_ep.
  const expertGpus = (moeTp ?? 1) * (moeEp ?? 1);
  const d = dp ?? (model.moe && expertGpus > t && expertGpus % t === 0 ? expertGpus / t : 1);
  const p: WorkerParallel = {
    tp: t,
    pp: pp ?? 1,
    attentionDp: d,
    moeTp: moeTp ?? (model.moe ? t * d : t),
    moeEp: moeEp ?? 1,
  };
  return p;
}

/**
 * Agg rows of one export record tp x ep as `tp_size` and tp as `moe_tp_size`: an id naming
 * `tp8_ep8` carries tp_size 64, moe_tp 8, moe_ep 8 (gpt-oss-120b on 64 GPUs, which nobody runs).
 * When the id names tp{n}_ep{n} and the columns read n x n, n, n, the worker is n GPUs whose
 * experts are split n ways by EP.
 */
function recordedAggLayout(row: SiliconRow): { tp?: number; moeTp?: number; moeEp?: number } {
  const tp = row.tp_size;
  const moeTp = row.moe_tp_size;
  const moeEp = row.moe_ep_size;
  const named = /(?:^|_)tp(\d+)_ep(\d+)(?:_|$)/.exec(row.id);
  if (named && tp !== undefined && moeTp !== undefined && moeEp !== undefined) {
    const n = Number(named[1]);
    if (Number(named[2]) === n && n > 1 && moeTp === n && moeEp === n && tp === n * n)
      return { tp: n, moeTp: 1, moeEp: n };
  }
  return {
    ...(tp !== undefined ? { tp } : {}),
    ...(moeTp !== undefined ? { moeTp } : {}),
    ...(moeEp !== undefined ? { moeEp } : {}),
  };
}

/** The deployment a row describes, with the benchmark's client count. */
export function rowToConfig(row: SiliconRow, model: ModelSpec): ServingConfig {
  const clients = siliconConcurrency(row);
  if (row.mode === 'agg') {
    const layout = recordedAggLayout(row);
    const parallel = parallelOf(
      layout.tp,
      row.pp_size,
      row.attention_dp_size,
      layout.moeTp,
      layout.moeEp,
      model,
    );
    // Agg rows give the batch per attention-DP rank.
    const batchSize = (row.batch_size ?? clients ?? 1) * parallel.attentionDp;
    // A measured row always has clients: without a recorded concurrency, the batch was the load.
    return {
      mode: 'agg',
      parallel,
      batchSize: Math.max(batchSize, clients ?? 0),
      // The engines' common default budget, unless the run recorded its own.
      ctxTokens: rowCtxTokens(row) ?? 8192,
      clients: clients ?? batchSize,
    };
  }
  const prefill = parallelOf(
    row.prefill_tp_size,
    row.prefill_pp_size,
    row.prefill_attention_dp_size,
    row.prefill_moe_tp_size,
    row.prefill_moe_ep_size,
    model,
  );
  const decode = parallelOf(
    row.decode_tp_size,
    row.decode_pp_size,
    row.decode_attention_dp_size,
    row.decode_moe_tp_size,
    row.decode_moe_ep_size,
    model,
  );
  const decodeWorkers = row.decode_num_workers ?? 1;
  // Without a decode batch the clients spread over the decode ranks set it.
  const decodeBatchPerRank =
    row.decode_batch_size ?? Math.max(1, Math.ceil((clients ?? 1) / (decodeWorkers * decode.attentionDp)));
  return {
    mode: 'disagg',
    prefill: {
      parallel: prefill,
      batchSize: (row.prefill_batch_size ?? 1) * prefill.attentionDp,
      workers: row.prefill_num_workers ?? 1,
    },
    decode: {
      parallel: decode,
      batchSize: decodeBatchPerRank * decode.attentionDp,
      workers: decodeWorkers,
    },
    // Without a recorded concurrency, the decode batches were the load.
    clients: clients ?? decodeBatchPerRank * decode.attentionDp * decodeWorkers,
  };
}

/** The most prefill workers tried when sizing a row that does not record them. */
const MAX_ASSUMED_PREFILL_WORKERS = 32;
/** Prefill workers stop being added once throughput is within this share of the best. */
const PREFILL_SIZING_SHARE = 0.95;

/**
 * Disaggregated rows that do not record their worker counts: assume the smallest deployment that
 * can serve the benchmark's clients. Decode: the fewest workers whose memory holds all clients
 * (the measured deployment held them, so it had at least that many). Prefill: the fewest workers
 * that keep up with that decode side (throughput within 5% of what more prefill workers give),
 * the rate matching operators size xPyD deployments by.
 */
export function sizeUnrecordedWorkers(
  config: ServingConfig,
  row: SiliconRow,
  estimator: Pick<ServingEstimatorHandle, 'largestFittingBatch' | 'estimate'>,
  workload: Workload,
): ServingConfig {
  if (config.mode !== 'disagg' || config.clients === undefined) return config;
  let sized = config;
  if (row.decode_num_workers === undefined) {
    const { decode } = config;
    const perWorker = estimator.largestFittingBatch(decode.parallel, config.clients, workload, 'decode');
    const workers = perWorker > 0 ? Math.ceil(config.clients / perWorker) : decode.workers;
    if (workers > decode.workers) {
      const ranks = decode.parallel.attentionDp;
      const batchPerRank = row.decode_batch_size ?? Math.ceil(config.clients / (workers * ranks));
      sized = { ...sized, decode: { ...decode, workers, batchSize: batchPerRank * ranks } };
    }
  }
  if (row.prefill_num_workers === undefined) {
    const throughputs: number[] = [];
    for (let workers = 1; workers <= MAX_ASSUMED_PREFILL_WORKERS; workers++) {
      const candidate: ServingConfig = { ...sized, prefill: { ...sized.prefill, workers } };
      throughputs.push(estimator.estimate(candidate, workload).tokensPerS);
    }
    const best = Math.max(...throughputs);
    const workers = throughputs.findIndex((t) => t >= PREFILL_SIZING_SHARE * best) + 1;
    sized = { ...sized, prefill: { ...sized.prefill, workers } };
  }
  return sized;
}

/**
 * Measured deployments may overcommit the KV cache (engines page and preempt), but the weights must
 * fit: a recorded layout on which not even one request fits did not run as recorded (e.g. a 235 GB
 * FP8 checkpoint at tp 1 on a 141 GB GPU). Says which role and by how much; undefined when it fits.
 */
export function unheldLayout(
  config: ServingConfig,
  estimator: Pick<ServingEstimatorHandle, 'fits'>,
  workload: Workload,
): string | undefined {
  const roles: [string, WorkerParallel, 'agg' | 'prefill' | 'decode'][] =
    config.mode === 'disagg'
      ? [
          ['prefill', config.prefill.parallel, 'prefill'],
          ['decode', config.decode.parallel, 'decode'],
        ]
      : [['agg', config.parallel, 'agg']];
  for (const [name, parallel, role] of roles) {
    const fit = estimator.fits(parallel, parallel.attentionDp, workload, role);
    if (!fit.fits) {
      const gib = (b: number) => (b / 2 ** 30).toFixed(0);
      return (
        `recorded ${name} layout tp=${parallel.tp} pp=${parallel.pp} dp=${parallel.attentionDp} cannot hold ` +
        `the model: one request needs ${gib(fit.memBytesPerGpu)} GiB per GPU of ${gib(fit.capacityBytesPerGpu)} GiB`
      );
    }
  }
  return undefined;
}
