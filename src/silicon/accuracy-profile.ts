// How far predictions landed from real serving measurements, per backend and mode: written by
// `silicon compare --save-accuracy` and shown beside every `estimate` so a number comes with the
// error a user can plan with. data/accuracy/ holds the profile measured on the development set.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DATA_DIR, InvalidInputError, median, percentile } from '../common/index.js';
import type { ServingConfig } from '../serving/index.js';
import type { SiliconReport } from './silicon-compare.js';

/**
 * Clients per engine rank (attention-DP rank; decode rank when disaggregated), bucketed: TTFT error
 * grows with load (queueing), so an estimate quotes the error measured at a load like its own.
 */
export const LOAD_BUCKETS = ['1-8', '9-64', '65+'] as const;
export type LoadBucket = (typeof LOAD_BUCKETS)[number];

export function loadBucket(clientsPerRank: number): LoadBucket {
  if (clientsPerRank <= 8) return '1-8';
  return clientsPerRank <= 64 ? '9-64' : '65+';
}

/** Clients per engine rank of a deployment driven by `clients` closed-loop clients. */
export function clientsPerRank(config: ServingConfig, clients: number): number {
  if (config.mode === 'disagg') return clients / (config.decode.workers * config.decode.parallel.attentionDp);
  return clients / config.parallel.attentionDp;
}

/** Fewest measured rows behind a load-specific entry; thinner buckets fall back to backend x mode. */
export const MIN_ROWS_PER_LOAD_ENTRY = 10;

const AccuracyEntrySchema = z.object({
  backend: z.string(),
  mode: z.enum(['agg', 'disagg']),
  /** Present on entries measured at one load (LOAD_BUCKETS); absent on the backend x mode whole. */
  clients_per_rank: z.enum(LOAD_BUCKETS).optional(),
  rows: z.number().int().nonnegative(),
  ttft_median_ape_pct: z.number(),
  ttft_p90_ape_pct: z.number(),
  tpot_median_ape_pct: z.number(),
  tpot_p90_ape_pct: z.number(),
  /** Share of the runs measured above their prediction, % (absent in profiles saved before it). */
  ttft_low_pct: z.number().optional(),
  tpot_low_pct: z.number().optional(),
});

const AccuracyProfileSchema = z.object({
  /** What was compared: the measurements file and the perf data behind the predictions. */
  measurements: z.string(),
  perf_data: z.string(),
  measured_at: z.string(),
  /** Systems the compared rows ran on (absent in profiles saved before it). */
  systems: z.array(z.string()).optional(),
  entries: z.array(AccuracyEntrySchema),
});

export type AccuracyEntry = z.infer<typeof AccuracyEntrySchema>;
export type AccuracyProfile = z.infer<typeof AccuracyProfileSchema>;

/** The embedded profile (measured on the development set of real serving runs). */
export const EMBEDDED_ACCURACY_PROFILE = join(DATA_DIR, 'accuracy', 'silicon-dev.json');

/**
 * The embedded profile of the torch backend's serving estimates, measured on runs of our own
 * serving loop (workers/torch/serving_run.py; data/reference/*_serving.csv).
 */
export const EMBEDDED_TORCH_SERVING_ACCURACY = join(DATA_DIR, 'accuracy', 'torch-serving.json');

/**
 * The backend x mode partitions of a report as a profile, with each backend x mode x load
 * partition of at least MIN_ROWS_PER_LOAD_ENTRY rows as an entry of its own.
 */
export function accuracyProfile(
  report: SiliconReport,
  source: { measurements: string; perfData: string; measuredAt: string },
): AccuracyProfile {
  const entries: AccuracyEntry[] = [];
  for (const p of report.partitions) {
    const [backend, mode, load] = p.value.split(' ') as [string, 'agg' | 'disagg', string | undefined];
    const whole = p.partition === 'backend+mode' && p.predicted > 0;
    const atLoad =
      p.partition === 'backend+mode+load' &&
      p.predicted >= MIN_ROWS_PER_LOAD_ENTRY &&
      LOAD_BUCKETS.includes(load as LoadBucket);
    if (!whole && !atLoad) continue;
    entries.push({
      backend,
      mode,
      ...(atLoad ? { clients_per_rank: load as LoadBucket } : {}),
      rows: p.predicted,
      ttft_median_ape_pct: round1(p.ttftMedianApePct),
      ttft_p90_ape_pct: round1(p.ttftP90ApePct),
      tpot_median_ape_pct: round1(p.tpotMedianApePct),
      tpot_p90_ape_pct: round1(p.tpotP90ApePct),
      ttft_low_pct: Math.round(p.ttftLowPct),
      tpot_low_pct: Math.round(p.tpotLowPct),
    });
  }
  const systems = [...new Set(report.predictions.filter((p) => !p.failure).map((p) => p.row.system))].sort();
  return {
    measurements: source.measurements,
    perf_data: source.perfData,
    measured_at: source.measuredAt,
    systems,
    entries,
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Reads a profile; a missing embedded one is undefined, a malformed file is an error naming it. */
export function loadAccuracyProfile(path: string = EMBEDDED_ACCURACY_PROFILE): AccuracyProfile | undefined {
  return readAccuracyFile(path, AccuracyProfileSchema, 'silicon compare --save-accuracy');
}

/** A JSON file of one of the schemas above: undefined when absent, an error naming file and field. */
function readAccuracyFile<T>(path: string, schema: z.ZodType<T>, regenerate: string): T | undefined {
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(
      `${path}: not JSON (${(error as Error).message}); regenerate it with ${regenerate}`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`${path}: field '${issue.path.join('.')}': ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The profile's entry for a backend and mode: the one measured at the given load (clients per
 * rank) where the profile has it, else the backend x mode whole; undefined if it measured none.
 */
export function accuracyFor(
  profile: AccuracyProfile | undefined,
  backend: string,
  mode: string,
  clientsPerRankNow?: number,
): AccuracyEntry | undefined {
  const entries = profile?.entries.filter((e) => e.backend === backend && e.mode === mode) ?? [];
  const bucket = clientsPerRankNow === undefined ? undefined : loadBucket(clientsPerRankNow);
  return (
    (bucket && entries.find((e) => e.clients_per_rank === bucket)) ??
    entries.find((e) => e.clients_per_rank === undefined)
  );
}

/**
 * One line for reports: "vllm agg at 9-64 clients per rank, 130 measured runs: TTFT error median
 * 21.5%, p90 52.1%, measured higher in 77%; TPOT ...": how far, and which way the error leans.
 */
export function accuracyLine(entry: AccuracyEntry): string {
  const load = entry.clients_per_rank ? ` at ${entry.clients_per_rank} clients per rank` : '';
  const lean = (lowPct: number | undefined) =>
    lowPct === undefined ? '' : `, measured higher in ${lowPct}%`;
  return (
    `${entry.backend} ${entry.mode}${load}, ${entry.rows} measured runs: TTFT error median ${entry.ttft_median_ape_pct}%, ` +
    `p90 ${entry.ttft_p90_ape_pct}%${lean(entry.ttft_low_pct)}; TPOT median ${entry.tpot_median_ape_pct}%, ` +
    `p90 ${entry.tpot_p90_ape_pct}%${lean(entry.tpot_low_pct)}`
  );
}

const StepAccuracySchema = z.object({
  backend: z.string(),
  system: z.string(),
  /** The reference-step files compared (file names). */
  measurements: z.array(z.string()),
  measured_at: z.string(),
  steps: z.number().int().positive(),
  median_ape_pct: z.number(),
  p90_ape_pct: z.number(),
});

/**
 * How far a backend's step-time predictions landed from whole-model steps timed on the GPU
 * (`silicon reference --save-accuracy`): what can be said of the torch backend, whose serving
 * TTFT / TPOT has no measured runs to compare with.
 */
export type StepAccuracy = z.infer<typeof StepAccuracySchema>;

/** The embedded step accuracy of the torch tables (data/accuracy/torch-steps.json). */
export const EMBEDDED_STEP_ACCURACY = join(DATA_DIR, 'accuracy', 'torch-steps.json');

/** Median and p90 absolute % error of predicted vs measured step times. */
export function stepAccuracy(
  errorsPct: readonly number[],
  source: { backend: string; system: string; measurements: readonly string[]; measuredAt: string },
): StepAccuracy {
  const errors = errorsPct.map(Math.abs);
  return {
    backend: source.backend,
    system: source.system,
    measurements: [...source.measurements],
    measured_at: source.measuredAt,
    steps: errors.length,
    median_ape_pct: round1(median(errors)),
    p90_ape_pct: round1(percentile(errors, 0.9)),
  };
}

/** Reads a step-accuracy file; a missing embedded one is undefined, a malformed file an error. */
export function loadStepAccuracy(path: string = EMBEDDED_STEP_ACCURACY): StepAccuracy | undefined {
  return readAccuracyFile(path, StepAccuracySchema, 'silicon reference --save-accuracy');
}

/**
 * One line for reports: the step-time error, and that the backend's serving figures in this mode
 * have no measured runs (static batches are not served; aggregated runs exist on some systems).
 */
export function stepAccuracyLine(entry: StepAccuracy, mode?: string): string {
  const unmeasured = mode ? `no measured ${mode} serving runs` : 'serving TTFT/TPOT unmeasured';
  return (
    `${entry.backend} step times vs ${entry.steps} steps timed on ${entry.system}: error median ` +
    `${entry.median_ape_pct}%, p90 ${entry.p90_ape_pct}% (${unmeasured})`
  );
}

/** What is known of how far a prediction of this kind lands from measurements, for reports. */
export interface MeasuredAccuracy {
  readonly line: string;
  readonly json: AccuracyEntry | StepAccuracy;
}

/** What the figures of an estimate rest on, beyond backend, system and mode. */
export interface EstimateBasis {
  /** Database mode (silicon, hybrid, empirical, sol). */
  readonly databaseMode: string;
  /** Whether the estimate uses the shipped tables (no --perf-data). */
  readonly embeddedData: boolean;
  /** Whether every GEMM / MoE format is bf16, as in the reference steps. */
  readonly bf16: boolean;
  /**
   * Whether the dense GEMMs are fp8 and everything else bf16: what the serving loop's fp8 runs
   * measured (no reference step was timed so). Absent: false.
   */
  readonly fp8Gemm?: boolean;
}

/**
 * The measured accuracy to quote beside an estimate: for a backend with measured serving runs
 * (data/accuracy/silicon-dev.json), its TTFT / TPOT errors in that mode (none for static
 * estimates, which benchmarks do not measure), at the estimate's load where measured. For the torch
 * backend, on the shipped tables: aggregated estimates in bf16 or with fp8 GEMMs quote the runs of
 * our own serving loop on the same system (data/accuracy/torch-serving.json, which has both);
 * otherwise, in bf16 and silicon mode, the step-time error on the system its reference steps were
 * timed on (data/accuracy/torch-steps.json).
 */
export function measuredAccuracy(
  backend: string,
  system: string,
  mode: string,
  basis: EstimateBasis,
  clientsPerRankNow?: number,
): MeasuredAccuracy | undefined {
  if (backend === 'torch') {
    if (!basis.embeddedData || !(basis.bf16 || basis.fp8Gemm)) return undefined;
    if (mode === 'agg') {
      // Serving runs of our own loop on this system, where measured; else the step-time error.
      const serving = loadAccuracyProfile(EMBEDDED_TORCH_SERVING_ACCURACY);
      const entry = serving?.systems?.includes(system)
        ? accuracyFor(serving, backend, mode, clientsPerRankNow)
        : undefined;
      if (entry)
        return { line: `${accuracyLine(entry)} (inferplan's serving loop on ${system})`, json: entry };
    }
    if (basis.databaseMode !== 'silicon' || !basis.bf16) return undefined;
    const steps = loadStepAccuracy();
    return steps && steps.system === system
      ? { line: stepAccuracyLine(steps, mode), json: steps }
      : undefined;
  }
  if (mode === 'static') return undefined;
  const entry = accuracyFor(loadAccuracyProfile(), backend, mode, clientsPerRankNow);
  return entry ? { line: accuracyLine(entry), json: entry } : undefined;
}
