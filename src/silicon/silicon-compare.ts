// Predicts every row of a measured-serving CSV and scores the predictions: MAPE and median
// absolute % error of TTFT and TPOT per partition, coverage, and failures grouped by reason.
import { InferplanError, mean, median, PerfDataMissingError, percentile } from '../common/index.js';
import { isBackend } from '../engine/index.js';
import type { SystemRegistry } from '../hardware/index.js';
import { loadModel, resolveQuant } from '../models/index.js';
import { type DatabaseMode, openPerfDatabase, type PerfDatabase } from '../perfdb/index.js';
import { createEstimator, type ServingMetrics } from '../serving/index.js';
import { clientsPerRank, loadBucket } from './accuracy-profile.js';
import { checkMeasurement, SOL_UTILISATION_LIMIT } from './measurement-check.js';
import { type RepeatSpread, repeatSpread } from './repeat-spread.js';
import { rowQuantOverrides, rowToConfig, sizeUnrecordedWorkers, unheldLayout } from './row-deployment.js';
import {
  type BenchmarkClient,
  rowBenchmarkClient,
  rowMoeRouting,
  rowPrefix,
  type SiliconRow,
  siliconEngineSettings,
  sourceLabel,
} from './silicon-row.js';

export interface SiliconPrediction {
  readonly row: SiliconRow;
  readonly metrics?: ServingMetrics;
  readonly failure?: string;
  readonly ttftErrorPct?: number;
  readonly tpotErrorPct?: number;
  /**
   * Share of the GPUs' speed-of-light time the row's own measurements need (measurement-check.ts);
   * absent where the row does not record its clients or, disaggregated, its worker counts.
   */
  readonly solUtilisation?: number;
  /** Clients per engine rank of the recorded deployment (absent where workers were assumed). */
  readonly clientsPerRank?: number;
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
  /** Share of the predicted rows measured above their prediction, %: which way the error leans. */
  readonly ttftLowPct: number;
  readonly tpotLowPct: number;
}

/**
 * One model x backend x mode group's part in the overall MAPE: its rows' summed absolute % error
 * over all predicted rows, so the groups' points add up to the overall figure.
 */
export interface ErrorContribution {
  readonly group: string;
  readonly predicted: number;
  readonly ttftMapePct: number;
  readonly tpotMapePct: number;
  readonly ttftPoints: number;
  readonly tpotPoints: number;
}

export interface SiliconReport {
  readonly predictions: readonly SiliconPrediction[];
  readonly partitions: readonly PartitionScore[];
  /** Model x backend x mode groups, largest share of the overall TTFT + TPOT MAPE first. */
  readonly contributions: readonly ErrorContribution[];
  readonly coverage: number;
  readonly failuresByReason: readonly { reason: string; count: number; example: string }[];
  /** How far rows of the same configuration disagree (absent when none repeats). */
  readonly repeatSpread?: RepeatSpread;
}

export interface SiliconCompareDeps {
  readonly systems: SystemRegistry;
  /** The perf database a row is priced from (its system, backend and version). */
  readonly openDatabase: (row: SiliconRow) => PerfDatabase;
  /** The benchmark client assumed for rows that do not record theirs. */
  readonly client?: BenchmarkClient;
}

/** A row's backend version: blank is "newest". */
function rowVersion(row: SiliconRow): string | undefined {
  return row.backend_version.trim() || undefined;
}

function absPctError(predicted: number, measured: number): number {
  return (Math.abs(predicted - measured) / measured) * 100;
}

export function predictRow(row: SiliconRow, deps: SiliconCompareDeps): SiliconPrediction {
  try {
    if (!isBackend(row.backend)) return { row, failure: `unknown backend '${row.backend}'` };
    const model = loadModel(row.model_path);
    const system = deps.systems.get(row.system);
    const db = deps.openDatabase(row);
    const quant = resolveQuant(model, system.gpu.sm_version, rowQuantOverrides(row, model));
    const client = { ...deps.client, ...rowBenchmarkClient(row) };
    const routing = rowMoeRouting(row);
    const estimator = createEstimator({
      model,
      system,
      db,
      quant,
      backend: row.backend,
      ...(client.lengthRatio !== undefined ? { lengthRatio: client.lengthRatio } : {}),
      ...(client.waves !== undefined ? { waves: client.waves } : {}),
      engine: siliconEngineSettings(row),
      ...(routing ? { moeDistribution: routing } : {}),
    });
    const workload = { isl: row.isl, osl: row.osl, prefix: rowPrefix(row), nextn: 0, nextnAccept: 0 };
    const config = rowToConfig(row, model);
    const unheld = unheldLayout(config, estimator, workload);
    if (unheld) return { row, failure: `InfeasibleError: ${unheld}` };
    const deployed = sizeUnrecordedWorkers(config, row, estimator, workload);
    const metrics = estimator.estimate(deployed, workload);
    const check = checkMeasurement(row, config, estimator, workload);
    // The load the row ran at, on the deployment it records (unknown where workers were assumed).
    const recordedLoad =
      deployed.mode !== 'static' && (config.mode === 'agg' || row.decode_num_workers !== undefined)
        ? clientsPerRank(deployed, metrics.concurrency)
        : undefined;
    return {
      row,
      metrics,
      ttftErrorPct: absPctError(metrics.ttftMs, row.silicon_ttft_ms),
      tpotErrorPct: absPctError(metrics.tpotMs, row.silicon_tpot_ms),
      ...(check ? { solUtilisation: check.solUtilisation } : {}),
      ...(recordedLoad !== undefined ? { clientsPerRank: recordedLoad } : {}),
    };
  } catch (error) {
    if (error instanceof InferplanError) return { row, failure: `${error.name}: ${error.message}` };
    throw error;
  }
}

/** Failure messages grouped by their kind and their first clause (names and numbers stripped). */
/**
 * A failure's kind, for grouping: its first clause without the error class, with numbers outside
 * quotes generalised (rows that differ only in sizes group together) and quoted names kept (one
 * group per unsupported model or unknown system).
 */
export function failureReason(message: string): string {
  const clause = message
    .replace(/^[A-Za-z]+Error: /, '')
    .split(';')[0]!
    .trim();
  const general = clause
    .split(/('[^']*')/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\b\d+(\.\d+)?\b/g, 'N')))
    .join('');
  return general.length > 90 ? `${general.slice(0, 89)}…` : general;
}

/** Whether a row's measurements fit its recorded deployment at the speed of light. */
function measurementVerdict(p: SiliconPrediction): string {
  if (p.solUtilisation === undefined) return 'not checkable';
  return p.solUtilisation > SOL_UTILISATION_LIMIT ? 'beyond speed of light' : 'within speed of light';
}

const PARTITIONS: readonly [string, (p: SiliconPrediction) => string][] = [
  ['all', () => 'all'],
  ['system', (p) => p.row.system],
  ['backend', (p) => p.row.backend],
  ['mode', (p) => p.row.mode],
  ['backend+mode', (p) => `${p.row.backend} ${p.row.mode}`],
  // Queueing makes TTFT error grow with load: `estimate` quotes the error at its own load.
  [
    'backend+mode+load',
    (p) =>
      `${p.row.backend} ${p.row.mode} ${p.clientsPerRank === undefined ? 'unknown' : loadBucket(p.clientsPerRank)}`,
  ],
  ['model', (p) => p.row.model_path],
  // Rows of one harness share its client and setup (one sweep fits a single burst of requests, see
  // the user guide): errors per source show where a harness, not the model, is off.
  ['source', (p) => sourceLabel(p.row)],
  // Disaggregated rows without worker counts are predicted for an assumed deployment
  // (sizeUnrecordedWorkers): scored apart so the assumption's share of the error shows.
  [
    'deployment',
    (p) =>
      p.row.mode === 'agg' || p.row.decode_num_workers !== undefined ? 'as recorded' : 'workers assumed',
  ],
  // Rows whose own numbers need more than the GPUs' speed of light ran something unrecorded
  // (speculative decoding, prefix-cache hits, fewer requests in flight): scored apart, never dropped.
  ['measurement', measurementVerdict],
  // By what the prediction is made of (its own parts, not the measurement): whether the error sits
  // with predictions that rest on queueing, or on decodes interrupted by other requests' prefills.
  [
    'predicted TTFT queue share',
    (p) => shareBucket(p.metrics?.ttftParts.queueMs, p.metrics?.ttftMs, [25, 50]),
  ],
  [
    'predicted TPOT prefill share',
    (p) => shareBucket(p.metrics?.tpotParts.prefillInterferenceMs, p.metrics?.tpotMs, [10, 30]),
  ],
];

/** "0-25%", "25-50%", "50-100%" for part / whole (labels that sort); "not predicted" without one. */
function shareBucket(
  part: number | undefined,
  whole: number | undefined,
  edges: readonly [number, number],
): string {
  if (part === undefined || whole === undefined || !(whole > 0)) return 'not predicted';
  const share = (100 * part) / whole;
  if (share < edges[0]) return `0-${edges[0]}%`;
  return share <= edges[1] ? `${edges[0]}-${edges[1]}%` : `${edges[1]}-100%`;
}

/** Percentage of rows whose prediction is below the measured value. */
function lowPct(rows: readonly SiliconPrediction[], predictedLow: (p: SiliconPrediction) => boolean): number {
  return rows.length === 0 ? Number.NaN : (100 * rows.filter(predictedLow).length) / rows.length;
}

export function scorePredictions(predictions: readonly SiliconPrediction[]): SiliconReport {
  const partitions: PartitionScore[] = [];
  for (const [partition, keyOf] of PARTITIONS) {
    const groups = new Map<string, SiliconPrediction[]>();
    for (const p of predictions) {
      const key = keyOf(p);
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
        ttftLowPct: lowPct(ok, (p) => p.metrics!.ttftMs < p.row.silicon_ttft_ms),
        tpotLowPct: lowPct(ok, (p) => p.metrics!.tpotMs < p.row.silicon_tpot_ms),
      });
    }
  }
  const failures = new Map<string, { count: number; example: string }>();
  const predicted = predictions.filter((p) => p.metrics);
  const byGroup = new Map<string, SiliconPrediction[]>();
  for (const p of predicted) {
    const key = `${p.row.model_path} ${p.row.backend} ${p.row.mode}`;
    const list = byGroup.get(key);
    if (list) list.push(p);
    else byGroup.set(key, [p]);
  }
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const contributions = [...byGroup.entries()]
    .map(([group, list]): ErrorContribution => {
      const ttft = list.map((p) => p.ttftErrorPct!);
      const tpot = list.map((p) => p.tpotErrorPct!);
      return {
        group,
        predicted: list.length,
        ttftMapePct: mean(ttft),
        tpotMapePct: mean(tpot),
        ttftPoints: sum(ttft) / predicted.length,
        tpotPoints: sum(tpot) / predicted.length,
      };
    })
    .sort((a, b) => b.ttftPoints + b.tpotPoints - (a.ttftPoints + a.tpotPoints));
  for (const p of predictions) {
    if (!p.failure) continue;
    const reason = failureReason(p.failure);
    const entry = failures.get(reason) ?? { count: 0, example: p.row.id };
    entry.count++;
    failures.set(reason, entry);
  }
  const spread = repeatSpread(predictions.map((p) => p.row));
  return {
    predictions,
    partitions,
    contributions,
    coverage: predictions.length === 0 ? 0 : predictions.filter((p) => p.metrics).length / predictions.length,
    failuresByReason: [...failures.entries()]
      .map(([reason, v]) => ({ reason, ...v }))
      .sort((a, b) => b.count - a.count),
    ...(spread ? { repeatSpread: spread } : {}),
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
  const keyOf = (row: SiliconRow) => `${row.system}|${row.backend}|${rowVersion(row) ?? ''}`;
  for (const row of rows) {
    const version = rowVersion(row);
    const key = keyOf(row);
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
          warn: options.warn,
          ...(dataVersion ? { version: dataVersion } : {}),
          ...(options.perfDataDir ? { perfDataDir: options.perfDataDir } : {}),
        }),
      );
    } catch (error) {
      if (!(error instanceof InferplanError)) throw error;
      databases.set(key, error);
    }
  }
  return (row) => {
    const entry = databases.get(keyOf(row));
    if (!entry)
      throw new PerfDataMissingError(
        `no perf data opened for ${row.system}/${row.backend}/${rowVersion(row) ?? 'newest'}`,
      );
    if (entry instanceof InferplanError) throw entry;
    return entry;
  };
}

/** Open the rows' databases, predict every row, score: what `silicon compare` reports. */
export async function compareSiliconRows(
  rows: readonly SiliconRow[],
  options: OpenRowDatabasesOptions & { readonly client?: BenchmarkClient },
): Promise<SiliconReport> {
  const openDatabase = await openRowDatabases(rows, options);
  const deps: SiliconCompareDeps = {
    systems: options.systems,
    openDatabase,
    ...(options.client ? { client: options.client } : {}),
  };
  return scorePredictions(rows.map((row) => predictRow(row, deps)));
}
