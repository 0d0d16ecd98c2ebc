// How far predictions landed from real serving measurements, per backend and mode: written by
// `silicon compare --save-accuracy` and shown beside every `estimate` so a number comes with the
// error a user can plan with. data/accuracy/ holds the profile measured on the development set.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DATA_DIR, InvalidInputError } from '../common/index.js';
import type { SiliconReport } from './silicon-compare.js';

const AccuracyEntrySchema = z.object({
  backend: z.string(),
  mode: z.enum(['agg', 'disagg']),
  rows: z.number().int().nonnegative(),
  ttft_median_ape_pct: z.number(),
  ttft_p90_ape_pct: z.number(),
  tpot_median_ape_pct: z.number(),
  tpot_p90_ape_pct: z.number(),
});

const AccuracyProfileSchema = z.object({
  /** What was compared: the measurements file and the perf data behind the predictions. */
  measurements: z.string(),
  perf_data: z.string(),
  measured_at: z.string(),
  entries: z.array(AccuracyEntrySchema),
});

export type AccuracyEntry = z.infer<typeof AccuracyEntrySchema>;
export type AccuracyProfile = z.infer<typeof AccuracyProfileSchema>;

/** The embedded profile (measured on the development set of real serving runs). */
export const EMBEDDED_ACCURACY_PROFILE = join(DATA_DIR, 'accuracy', 'silicon-dev.json');

/** The backend x mode partitions of a report as a profile. */
export function accuracyProfile(
  report: SiliconReport,
  source: { measurements: string; perfData: string; measuredAt: string },
): AccuracyProfile {
  const entries: AccuracyEntry[] = [];
  for (const p of report.partitions) {
    if (p.partition !== 'backend+mode' || p.predicted === 0) continue;
    const [backend, mode] = p.value.split(' ') as [string, 'agg' | 'disagg'];
    entries.push({
      backend,
      mode,
      rows: p.predicted,
      ttft_median_ape_pct: round1(p.ttftMedianApePct),
      ttft_p90_ape_pct: round1(p.ttftP90ApePct),
      tpot_median_ape_pct: round1(p.tpotMedianApePct),
      tpot_p90_ape_pct: round1(p.tpotP90ApePct),
    });
  }
  return {
    measurements: source.measurements,
    perf_data: source.perfData,
    measured_at: source.measuredAt,
    entries,
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Reads a profile; a missing embedded one is undefined, a malformed file is an error naming it. */
export function loadAccuracyProfile(path: string = EMBEDDED_ACCURACY_PROFILE): AccuracyProfile | undefined {
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(
      `${path}: not JSON (${(error as Error).message}); regenerate it with silicon compare --save-accuracy`,
    );
  }
  const parsed = AccuracyProfileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`${path}: field '${issue.path.join('.')}': ${issue.message}`);
  }
  return parsed.data;
}

/** The profile's entry for a backend and mode, if it measured any such rows. */
export function accuracyFor(
  profile: AccuracyProfile | undefined,
  backend: string,
  mode: string,
): AccuracyEntry | undefined {
  return profile?.entries.find((e) => e.backend === backend && e.mode === mode);
}

/** One line for reports: "vllm agg, 216 measured runs: TTFT error median 22.9%, p90 63.4%; TPOT ...". */
export function accuracyLine(entry: AccuracyEntry): string {
  return (
    `${entry.backend} ${entry.mode}, ${entry.rows} measured runs: TTFT error median ${entry.ttft_median_ape_pct}%, ` +
    `p90 ${entry.ttft_p90_ape_pct}%; TPOT median ${entry.tpot_median_ape_pct}%, p90 ${entry.tpot_p90_ape_pct}%`
  );
}
