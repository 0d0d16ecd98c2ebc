// Predicts every row of a measured-serving CSV and scores the predictions: MAPE and median
// absolute % error of TTFT and TPOT per partition, coverage, and failures grouped by reason.
import { type Dtype, InferplanError, isDtype, PerfDataMissingError } from '../common/index.js';
import { type Backend, isBackend } from '../engine/index.js';
import type { SystemRegistry } from '../hardware/index.js';
import { loadModel, type ModelSpec, resolveQuant } from '../models/index.js';
import { type DatabaseMode, openPerfDatabase, type PerfDatabase } from '../perfdb/index.js';
import {
  createEstimator,
  type ServingConfig,
  type ServingEstimatorHandle,
  type ServingMetrics,
  type WorkerParallel,
  type Workload,
} from '../serving/index.js';
import { type SiliconRow, siliconConcurrency } from './silicon-row.js';

export interface SiliconPrediction {
  readonly row: SiliconRow;
  readonly metrics?: ServingMetrics;
  readonly failure?: string;
  readonly ttftErrorPct?: number;
  readonly tpotErrorPct?: number;
}

export interface PartitionScore {
  readonly partition: string;
  readonly value: string;
  readonly rows: number;
  readonly predicted: number;
  readonly ttftMapePct: number;
  readonly ttftMedianApePct: number;
  readonly tpotMapePct: number;
  readonly tpotMedianApePct: number;
  /** 90th percentile of the absolute % errors: the error nine rows in ten stay within. */
  readonly ttftP90ApePct: number;
  readonly tpotP90ApePct: number;
}

export interface SiliconReport {
  readonly predictions: readonly SiliconPrediction[];
  readonly partitions: readonly PartitionScore[];
  readonly coverage: number;
  readonly failuresByReason: readonly { reason: string; count: number; example: string }[];
}

export interface SiliconCompareDeps {
  readonly systems: SystemRegistry;
  /** Opens (and caches) the perf database for a system + backend + version. */
  readonly openDatabase: (
    system: string,
    backend: Backend,
    version: string | undefined,
    mode: DatabaseMode,
  ) => PerfDatabase;
  readonly mode: DatabaseMode;
  /** The benchmark client assumed for every row (see EstimatorOptions). */
  readonly client?: { readonly lengthRatio?: number; readonly waves?: number };
}

function quantName(value: string): Dtype | undefined {
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  if (v === 'fp4' || v === 'nvfp4') return 'nvfp4';
  if (v === 'bf16') return 'bfloat16';
  if (v === 'fp16') return 'float16';
  return isDtype(v) ? v : undefined;
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

/** The deployment a row describes, with the benchmark's client count. */
export function rowToConfig(row: SiliconRow, model: ModelSpec): ServingConfig {
  const clients = siliconConcurrency(row);
  if (row.mode === 'agg') {
    const parallel = parallelOf(
      row.tp_size,
      row.pp_size,
      row.attention_dp_size,
      row.moe_tp_size,
      row.moe_ep_size,
      model,
    );
    // Agg rows give the batch per attention-DP rank.
    const batchSize = (row.batch_size ?? clients ?? 1) * parallel.attentionDp;
    // A measured row always has clients: without a recorded concurrency, the batch was the load.
    return {
      mode: 'agg',
      parallel,
      batchSize: Math.max(batchSize, clients ?? 0),
      ctxTokens: 8192,
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
function unheldLayout(
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

function absPctError(predicted: number, measured: number): number {
  return (Math.abs(predicted - measured) / measured) * 100;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function predictRow(row: SiliconRow, deps: SiliconCompareDeps): SiliconPrediction {
  try {
    if (!isBackend(row.backend)) return { row, failure: `unknown backend '${row.backend}'` };
    const model = loadModel(row.model_path);
    const system = deps.systems.get(row.system);
    const version = row.backend_version.trim() === '' ? undefined : row.backend_version.trim();
    const db = deps.openDatabase(row.system, row.backend, version, deps.mode);
    const overrides: { gemm?: Dtype; moe?: Dtype } = {};
    const gemm = quantName(row.gemm_quant_mode) ?? quantName(row.precision);
    const moe = quantName(row.moe_quant_mode) ?? gemm;
    // A 4-bit float label on a checkpoint that ships MXFP4 experts (GPT-OSS) names those experts:
    // the checkpoint's formats stand (attention bf16, experts MXFP4), whatever the export wrote.
    const shipsMxfp4 = model.checkpointQuant?.moe === 'mxfp4' && (gemm === 'nvfp4' || gemm === 'mxfp4');
    // Weight-only int4 checkpoints (Kimi-K2.5) quantise the experts only; attention stays as shipped.
    if (gemm && !shipsMxfp4 && !(gemm === 'int4_wo' && model.moe)) overrides.gemm = gemm;
    if (moe && !shipsMxfp4 && model.moe) overrides.moe = moe;
    const quant = resolveQuant(model, system.gpu.sm_version, overrides);
    const estimator = createEstimator({
      model,
      system,
      db,
      quant,
      backend: row.backend,
      ...(deps.client?.lengthRatio !== undefined ? { lengthRatio: deps.client.lengthRatio } : {}),
      ...(deps.client?.waves !== undefined ? { waves: deps.client.waves } : {}),
    });
    const workload = { isl: row.isl, osl: row.osl, prefix: 0, nextn: 0, nextnAccept: 0 };
    const config = rowToConfig(row, model);
    const unheld = unheldLayout(config, estimator, workload);
    if (unheld) return { row, failure: `InfeasibleError: ${unheld}` };
    const metrics = estimator.estimate(sizeUnrecordedWorkers(config, row, estimator, workload), workload);
    return {
      row,
      metrics,
      ttftErrorPct: absPctError(metrics.ttftMs, row.silicon_ttft_ms),
      tpotErrorPct: absPctError(metrics.tpotMs, row.silicon_tpot_ms),
    };
  } catch (error) {
    if (error instanceof InferplanError) return { row, failure: `${error.name}: ${error.message}` };
    throw error;
  }
}

/** Failure messages grouped by their kind and their first clause (names and numbers stripped). */
function failureReason(message: string): string {
  return message
    .split(/[;:(]/)
    .slice(0, 2)
    .join(':')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\d+(\.\d+)?/g, 'N')
    .trim();
}

const PARTITIONS: readonly [string, (row: SiliconRow) => string][] = [
  ['all', () => 'all'],
  ['system', (r) => r.system],
  ['backend', (r) => r.backend],
  ['mode', (r) => r.mode],
  ['backend+mode', (r) => `${r.backend} ${r.mode}`],
  ['model', (r) => r.model_path],
  // Disaggregated rows without worker counts are predicted for an assumed deployment
  // (sizeUnrecordedWorkers): scored apart so the assumption's share of the error shows.
  [
    'deployment',
    (r) => (r.mode === 'agg' || r.decode_num_workers !== undefined ? 'as recorded' : 'workers assumed'),
  ],
];

export function scorePredictions(predictions: readonly SiliconPrediction[]): SiliconReport {
  const partitions: PartitionScore[] = [];
  for (const [partition, keyOf] of PARTITIONS) {
    const groups = new Map<string, SiliconPrediction[]>();
    for (const p of predictions) {
      const key = keyOf(p.row);
      const list = groups.get(key) ?? [];
      list.push(p);
      groups.set(key, list);
    }
    for (const [value, group] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const ok = group.filter((p) => p.metrics);
      const ttft = ok.map((p) => p.ttftErrorPct!);
      const tpot = ok.map((p) => p.tpotErrorPct!);
      partitions.push({
        partition,
        value,
        rows: group.length,
        predicted: ok.length,
        ttftMapePct: mean(ttft),
        ttftMedianApePct: median(ttft),
        tpotMapePct: mean(tpot),
        tpotMedianApePct: median(tpot),
        ttftP90ApePct: percentile(ttft, 0.9),
        tpotP90ApePct: percentile(tpot, 0.9),
      });
    }
  }
  const failures = new Map<string, { count: number; example: string }>();
  for (const p of predictions) {
    if (!p.failure) continue;
    const reason = failureReason(p.failure);
    const entry = failures.get(reason) ?? { count: 0, example: `${p.row.id}: ${p.failure}` };
    entry.count++;
    failures.set(reason, entry);
  }
  return {
    predictions,
    partitions,
    coverage: predictions.length === 0 ? 0 : predictions.filter((p) => p.metrics).length / predictions.length,
    failuresByReason: [...failures.entries()]
      .map(([reason, v]) => ({ reason, ...v }))
      .sort((a, b) => b.count - a.count),
  };
}

export interface OpenRowDatabasesOptions {
  readonly systems: SystemRegistry;
  readonly mode: DatabaseMode;
  readonly perfDataDir?: string;
  readonly warn: (message: string) => void;
}

/**
 * Open every perf database the rows need up front (loading is asynchronous, predicting is not);
 * a database that cannot be opened becomes the failure of the rows that need it.
 */
export async function openRowDatabases(
  rows: readonly SiliconRow[],
  options: OpenRowDatabasesOptions,
): Promise<SiliconCompareDeps['openDatabase']> {
  const databases = new Map<string, PerfDatabase | InferplanError>();
  const keyOf = (system: string, backend: string, version: string | undefined) =>
    `${system}|${backend}|${version ?? ''}`;
  for (const row of rows) {
    const version = row.backend_version.trim() || undefined;
    const key = keyOf(row.system, row.backend, version);
    if (databases.has(key) || !isBackend(row.backend)) continue;
    // A build tag instead of a version (e.g. 'gpt-oss-dev') is measured on some release: use the newest.
    const dataVersion = version && /^v?\d+(\.\d+)*/.test(version) ? version : undefined;
    if (version && !dataVersion) {
      options.warn(`${row.backend} version '${version}' is not a release number; using the newest perf data`);
    }
    try {
      databases.set(
        key,
        await openPerfDatabase({
          system: options.systems.get(row.system),
          backend: row.backend,
          mode: options.mode,
          ...(dataVersion ? { version: dataVersion } : {}),
          ...(options.perfDataDir ? { perfDataDir: options.perfDataDir } : {}),
        }),
      );
    } catch (error) {
      if (!(error instanceof InferplanError)) throw error;
      databases.set(key, error);
    }
  }
  return (system, backend, version) => {
    const entry = databases.get(keyOf(system, backend, version));
    if (!entry)
      throw new PerfDataMissingError(`no perf data opened for ${system}/${backend}/${version ?? 'newest'}`);
    if (entry instanceof InferplanError) throw entry;
    return entry;
  };
}
