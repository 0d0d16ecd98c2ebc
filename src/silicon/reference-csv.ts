// Reads recorded whole-step measurements (workers/torch/reference_model.py via
// scripts/device/reference-csv.py) and predicts each step; a bad row names file, line and column.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { DATA_DIR, InferplanError, InvalidInputError } from '../common/index.js';
import type { SystemSpec } from '../hardware/index.js';
import { loadModel, type ModelSpec } from '../models/index.js';
import { MOE_DISTRIBUTIONS, type PerfDatabase } from '../perfdb/index.js';
import { EMBEDDED_STEP_ACCURACY, loadStepAccuracy } from './accuracy-profile.js';
import { predictReferenceStep, type ReferencePoint, type ReferencePrediction } from './reference-compare.js';

export interface ReferenceRow extends ReferencePoint {
  readonly model: string;
  readonly measuredMs: number;
}

const ReferenceCsvRowSchema = z
  .object({
    model: z.string().min(1),
    tp: z.coerce.number().int().positive(),
    // Older files have no dp column: one rank of attention.
    dp: z.union([z.literal('').transform(() => 1), z.coerce.number().int().positive()]).optional(),
    phase: z.enum(['prefill', 'decode', 'mixed']),
    batch: z.coerce.number().int().positive(),
    isl: z.coerce.number().int().nonnegative(),
    kv: z.coerce.number().int().nonnegative(),
    layers: z.coerce.number().int().positive(),
    latency_ms: z.coerce.number().positive(),
    // How the reference run routed a MoE model's experts (older files: empty, i.e. balanced).
    distribution: z
      .enum(MOE_DISTRIBUTIONS)
      .optional()
      .or(z.literal('').transform(() => undefined)),
  })
  .refine((r) => r.phase === 'decode' || r.isl > 0, {
    message: 'prefill and mixed steps need isl > 0',
    path: ['isl'],
  })
  .refine((r) => r.phase === 'prefill' || r.kv > 0, {
    message: 'decode and mixed steps need kv > 0',
    path: ['kv'],
  });

/** The reference-step files the shipped step accuracy was measured on (data/reference/). */
export function shippedReferenceFiles(accuracyFile: string = EMBEDDED_STEP_ACCURACY): string[] {
  const accuracy = loadStepAccuracy(accuracyFile);
  if (!accuracy) throw new InvalidInputError(`${accuracyFile} is missing: name the CSV files to compare`);
  return accuracy.measurements.map((name) => join(DATA_DIR, 'reference', name));
}

/** Each row of one reference-step CSV beside its prediction; a bad row names file, line and column. */
export function predictReferenceCsv(
  csvPath: string,
  db: PerfDatabase,
  system: SystemSpec,
): (ReferenceRow & ReferencePrediction)[] {
  let records: Record<string, string>[];
  try {
    records = parse(readFileSync(csvPath, 'utf8'), {
      columns: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (error) {
    throw new InvalidInputError(
      `${csvPath}: cannot read as CSV (${(error as Error).message.split('\n')[0]})`,
    );
  }
  const rows: (ReferenceRow & ReferencePrediction)[] = [];
  records.forEach((record, index) => {
    const parsed = ReferenceCsvRowSchema.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInputError(
        `${csvPath}:${index + 2}: column '${issue.path.join('.')}': ${issue.message}`,
      );
    }
    const r = parsed.data;
    let model: ModelSpec;
    try {
      model = loadModel(r.model);
    } catch (error) {
      if (!(error instanceof InferplanError)) throw error;
      throw new InvalidInputError(`${csvPath}:${index + 2}: column 'model': ${error.message}`);
    }
    const point: ReferencePoint = {
      tp: r.tp,
      ...(r.dp && r.dp > 1 ? { dp: r.dp } : {}),
      phase: r.phase,
      batch: r.batch,
      isl: r.isl,
      kv: r.kv,
      layers: r.layers,
      ...(r.distribution ? { distribution: r.distribution } : {}),
    };
    rows.push({
      model: model.id,
      ...point,
      measuredMs: r.latency_ms,
      ...predictReferenceStep(model, system, db, point),
    });
  });
  return rows;
}
