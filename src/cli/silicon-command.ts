// `inferplan silicon compare`: predict measured serving results and report how far off we are.

import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { modelShapeOf, runReferenceStep } from '../collect/index.js';
import { UsageError, writeFileAtomic } from '../common/index.js';
import type { SystemSpec } from '../hardware/index.js';
import { SystemRegistry } from '../hardware/index.js';
import { loadModel } from '../models/index.js';
import { type DatabaseMode, openPerfDatabase, type PerfDatabase } from '../perfdb/index.js';
import { accuracyChartSpec, renderSvgChart, renderTable, toCsv } from '../report/index.js';
import {
  accuracyProfile,
  compareSiliconRows,
  predictReferenceCsv,
  predictReferenceStep,
  type ReferencePoint,
  type ReferencePrediction,
  type ReferenceRow,
  readSiliconCsvs,
  repeatSpreadLine,
  type SiliconPrediction,
  type SiliconReport,
  shippedReferenceFiles,
  siliconConcurrency,
  stepAccuracy,
} from '../silicon/index.js';
import { parseDatabaseMode, parseNumber, parsePositiveInt } from './deployment-context.js';
import { type GlobalOptions, printJson } from './run-command.js';

interface CompareFlags {
  perfData?: string;
  databaseMode: string;
  out?: string;
  systemsDir?: string[];
  filter?: string;
  lengthRatio?: string;
  waves?: string;
  saveAccuracy?: string;
  charts?: string;
}

/** The project's accuracy targets, drawn as bands on the charts (docs/user-guide.md#accuracy). */
const CHART_TARGET_PCT = { TTFT: 15, TPOT: 10 } as const;

/** ttft.svg and tpot.svg under `dir`: every predicted row, measured vs predicted, by backend and mode. */
async function writeAccuracyCharts(
  dir: string,
  predictions: readonly SiliconPrediction[],
  source: string,
): Promise<void> {
  const predicted = predictions.filter((p) => p.metrics !== undefined);
  const group = (p: SiliconPrediction) => `${p.row.backend} ${p.row.mode}`;
  const charts = [
    [
      'ttft.svg',
      'TTFT',
      (p: SiliconPrediction): [number, number] => [p.row.silicon_ttft_ms, p.metrics!.ttftMs],
    ],
    [
      'tpot.svg',
      'TPOT',
      (p: SiliconPrediction): [number, number] => [p.row.silicon_tpot_ms, p.metrics!.tpotMs],
    ],
  ] as const;
  for (const [file, metric, values] of charts) {
    const spec = accuracyChartSpec({
      metric,
      unit: 'ms',
      targetPct: CHART_TARGET_PCT[metric],
      source,
      points: predicted.map((p) => {
        const [measured, prediction] = values(p);
        return { measured, predicted: prediction, group: group(p) };
      }),
    });
    await writeFileAtomic(join(dir, file), renderSvgChart(spec));
  }
}

function predictionsCsv(predictions: readonly SiliconPrediction[]): string {
  const head = [
    'id',
    'system',
    'backend',
    'backend_version',
    'model_path',
    'mode',
    'isl',
    'osl',
    'concurrency',
    'silicon_ttft_ms',
    'predicted_ttft_ms',
    'predicted_ttft_queue_ms',
    'predicted_ttft_prefill_ms',
    'ttft_abs_pct_error',
    'silicon_tpot_ms',
    'predicted_tpot_ms',
    'predicted_tpot_prefill_interference_ms',
    'tpot_abs_pct_error',
    'predicted_tokens_per_s_per_gpu',
    'measured_share',
    'measured_sol_utilisation',
    'failure',
  ];
  const rows = predictions.map((p) => {
    const r = p.row;
    return [
      r.id,
      r.system,
      r.backend,
      r.backend_version,
      r.model_path,
      r.mode,
      r.isl,
      r.osl,
      siliconConcurrency(r),
      r.silicon_ttft_ms,
      p.metrics?.ttftMs,
      p.metrics?.ttftParts.queueMs,
      p.metrics?.ttftParts.prefillMs,
      p.ttftErrorPct,
      r.silicon_tpot_ms,
      p.metrics?.tpotMs,
      p.metrics?.tpotParts.prefillInterferenceMs,
      p.tpotErrorPct,
      p.metrics?.tokensPerSPerGpu,
      p.metrics ? p.metrics.provenance.measured + p.metrics.provenance.interpolated : undefined,
      p.solUtilisation,
      p.failure,
    ];
  });
  return toCsv(head, rows);
}

function pct(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)}%` : '-';
}

/** The `silicon compare` report: partitions, coverage, where the error comes from, failures. */
export function renderSiliconReport(report: SiliconReport, problems: number): string {
  const rows = report.partitions.map((p) => [
    p.partition,
    p.value,
    `${p.predicted}/${p.rows}`,
    pct(p.ttftMapePct),
    pct(p.ttftMedianApePct),
    pct(p.ttftLowPct),
    pct(p.tpotMapePct),
    pct(p.tpotMedianApePct),
    pct(p.tpotLowPct),
  ]);
  // "low": the share of rows measured above the prediction (50% = no lean either way).
  let out = renderTable(
    [
      'partition',
      'value',
      'predicted',
      'TTFT MAPE',
      'TTFT median',
      'TTFT low',
      'TPOT MAPE',
      'TPOT median',
      'TPOT low',
    ],
    rows,
  );
  out += 'low: share of rows measured above their prediction\n';
  out += `coverage: ${(report.coverage * 100).toFixed(1)}% of ${report.predictions.length} rows`;
  out += problems > 0 ? ` (${problems} malformed rows skipped)\n` : '\n';
  if (report.repeatSpread) out += `${repeatSpreadLine(report.repeatSpread)}\n`;
  if (report.contributions.length > 1) {
    // Where the overall MAPE comes from: each group's points add up to it.
    out += `\nwhere the error comes from (points of the overall MAPE, top ${Math.min(8, report.contributions.length)} of ${report.contributions.length} model x backend x mode groups)\n`;
    out += renderTable(
      ['model backend mode', 'rows', 'TTFT MAPE', 'TTFT points', 'TPOT MAPE', 'TPOT points'],
      report.contributions
        .slice(0, 8)
        .map((c) => [
          c.group,
          `${c.predicted}`,
          pct(c.ttftMapePct),
          c.ttftPoints.toFixed(1),
          pct(c.tpotMapePct),
          c.tpotPoints.toFixed(1),
        ]),
    );
  }
  if (report.failuresByReason.length > 0) {
    out += '\nfailures by reason\n';
    out += renderTable(
      ['rows', 'reason', 'example'],
      report.failuresByReason.map((f) => [
        `${f.count}`,
        f.reason,
        f.example.length > 110 ? `${f.example.slice(0, 107)}...` : f.example,
      ]),
    );
  }
  return out;
}

function referenceTable(rows: readonly (ReferenceRow & ReferencePrediction)[]): string {
  const body = rows.map((r) => [
    r.model,
    r.dp && r.dp > 1 ? `${r.tp} dp${r.dp}` : `${r.tp}`,
    r.phase,
    `${r.batch}`,
    r.phase === 'prefill'
      ? `isl ${r.isl}`
      : r.phase === 'decode'
        ? `kv ${r.kv}`
        : `isl ${r.isl} + kv ${r.kv}`,
    `${r.layers}`,
    r.measuredMs.toFixed(3),
    r.predictedMs.toFixed(3),
    `${(((r.predictedMs - r.measuredMs) / r.measuredMs) * 100).toFixed(1)}%`,
    `${(r.dataShare * 100).toFixed(0)}%`,
  ]);
  const errors = rows.map((r) => Math.abs(r.predictedMs - r.measuredMs) / r.measuredMs);
  const mean = errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length);
  return (
    renderTable(
      [
        'model',
        'tp',
        'phase',
        'batch',
        'tokens',
        'layers',
        'measured ms',
        'predicted ms',
        'error',
        'from data',
      ],
      body,
    ) + `mean absolute error ${(mean * 100).toFixed(1)}% over ${rows.length} steps\n`
  );
}

interface ReferenceFlags {
  system: string;
  perfData?: string;
  version?: string;
  databaseMode: string;
  systemsDir?: string[];
}

interface RunFlags extends ReferenceFlags {
  model: string;
  tp: string;
  dp: string;
  phase: string;
  batch: string;
  isl?: string;
  kv?: string;
  layers?: string;
  gpu?: string;
}

async function openTorchDatabase(flags: ReferenceFlags): Promise<{ db: PerfDatabase; system: SystemSpec }> {
  const system = new SystemRegistry(flags.systemsDir ?? []).get(flags.system);
  const db = await openPerfDatabase({
    system,
    backend: 'torch',
    mode: parseDatabaseMode(flags.databaseMode),
    ...(flags.version ? { version: flags.version } : {}),
    ...(flags.perfData ? { perfDataDir: flags.perfData } : {}),
  });
  return { db, system };
}

function registerReferenceCommands(silicon: Command, globals: () => GlobalOptions): void {
  silicon
    .command('run')
    .description(
      'time a whole model step on this GPU (reference model from the torch kernels) beside the prediction',
    )
    .requiredOption('--model <id|path>', 'catalog id or Hugging Face config')
    .option('--tp <n>', 'tensor parallel size: one process per GPU, all-reducing over NCCL', '1')
    .option('--dp <n>', 'attention data-parallel ranks (MoE models at --tp 1; --batch per rank)', '1')
    .requiredOption(
      '--phase <phase>',
      'prefill, decode or mixed (one prompt chunk of --isl tokens beside --batch decodes at --kv)',
    )
    .option('--batch <n>', 'requests in the step (mixed: the decoding ones)', '1')
    .option('--isl <n>', 'prompt tokens per request (prefill; mixed: the chunk)')
    .option('--kv <n>', 'cached tokens per request (decode, mixed)')
    .option('--layers <n>', 'run only the first N decoder layers (the prediction uses the same)')
    .option('--gpu <ids>', 'CUDA device (one per rank, comma-separated; default 0..tp x dp - 1)')
    .option('--system <name>', 'GPU system whose torch tables predict the step', 'h200_sxm')
    .option('--perf-data <dir>', 'perf data folder (default: embedded)')
    .option('--version <version>', 'torch version of the tables (default: newest)')
    .option('--database-mode <mode>', 'silicon, hybrid, empirical or sol', 'silicon')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .action(async (flags: RunFlags) => {
      if (flags.phase !== 'prefill' && flags.phase !== 'decode' && flags.phase !== 'mixed') {
        throw new UsageError(`--phase must be prefill, decode or mixed, got '${flags.phase}'`);
      }
      const model = loadModel(flags.model);
      const { db, system } = await openTorchDatabase(flags);
      const dp = parsePositiveInt('--dp', flags.dp);
      const point: ReferencePoint = {
        tp: parsePositiveInt('--tp', flags.tp),
        ...(dp > 1 ? { dp } : {}),
        phase: flags.phase,
        batch: parsePositiveInt('--batch', flags.batch),
        isl: flags.phase !== 'decode' ? parsePositiveInt('--isl', flags.isl) : 0,
        kv: flags.phase !== 'prefill' ? parsePositiveInt('--kv', flags.kv) : 0,
        layers: flags.layers ? parsePositiveInt('--layers', flags.layers) : model.numLayers,
      };
      const prediction = predictReferenceStep(model, system, db, point);
      const measured = await runReferenceStep({
        model: modelShapeOf(model),
        tp: point.tp,
        ...(point.dp ? { dp: point.dp } : {}),
        phase: point.phase,
        batch: point.batch,
        ...(point.phase !== 'decode' ? { isl: point.isl } : {}),
        ...(point.phase !== 'prefill' ? { kv: point.kv } : {}),
        layers: point.layers,
        ...(flags.gpu ? { gpu: flags.gpu } : {}),
      });
      const row = { model: model.id, ...point, measuredMs: measured.latency_ms, ...prediction };
      if (globals().json) {
        printJson({
          ...row,
          device: measured.device,
          torch: measured.torch,
          used_cuda_graph: measured.used_cuda_graph,
        });
        return;
      }
      const path = measured.used_cuda_graph ? 'CUDA graph replay' : 'eager';
      process.stdout.write(`${measured.device}, torch ${measured.torch}, ${path}\n`);
      process.stdout.write(referenceTable([row]));
    });

  silicon
    .command('reference [csv...]')
    .description(
      'predict recorded reference-step measurements and report the error (no files: the shipped H200 steps behind data/accuracy/torch-steps.json)',
    )
    .option('--system <name>', 'GPU system whose torch tables predict the steps', 'h200_sxm')
    .option('--perf-data <dir>', 'perf data folder (default: embedded)')
    .option('--version <version>', 'torch version of the tables (default: newest)')
    .option('--database-mode <mode>', 'silicon, hybrid, empirical or sol', 'silicon')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .option(
      '--save-accuracy <file>',
      'write the median and p90 step-time errors (JSON; `estimate` quotes data/accuracy/torch-steps.json)',
    )
    .action(async (csvPaths: string[], flags: ReferenceFlags & { saveAccuracy?: string }) => {
      const files = csvPaths.length > 0 ? csvPaths : shippedReferenceFiles();
      const { db, system } = await openTorchDatabase(flags);
      const rows: (ReferenceRow & ReferencePrediction)[] = [];
      for (const csvPath of files) rows.push(...predictReferenceCsv(csvPath, db, system));
      if (flags.saveAccuracy) {
        const accuracy = stepAccuracy(
          rows.map((r) => ((r.predictedMs - r.measuredMs) / r.measuredMs) * 100),
          {
            backend: 'torch',
            system: system.name,
            measurements: files.map((p) => basename(p)),
            measuredAt: new Date().toISOString().slice(0, 10),
          },
        );
        await writeFileAtomic(flags.saveAccuracy, `${JSON.stringify(accuracy, null, 2)}\n`);
      }
      if (globals().json) {
        printJson(rows);
        return;
      }
      process.stdout.write(referenceTable(rows));
    });
}

export function registerSiliconCommand(program: Command, globals: () => GlobalOptions): void {
  const silicon = program
    .command('silicon')
    .description('compare predictions with measurements on real GPUs');
  registerReferenceCommands(silicon, globals);
  silicon
    .command('compare <csv...>')
    .description(
      'predict every row of measured serving-results CSVs (several read as one set) and report the errors per partition',
    )
    .option(
      '--perf-data <dir>',
      'perf data folder (an aiconfigurator systems/data folder or ours); default: embedded',
    )
    .option('--database-mode <mode>', 'silicon, hybrid, empirical or sol', 'hybrid')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .option('--filter <text>', 'only rows whose id contains this text')
    .option(
      '--length-ratio <r>',
      'assumed benchmark client: request lengths uniform in [r, 1] x isl/osl (1 = fixed); a row recording length_ratio= keeps its own',
    )
    .option(
      '--waves <n>',
      'assumed benchmark client: requests sent = n x concurrency; a row recording waves= or requests= keeps its own',
    )
    .option('--out <file>', 'write per-row predictions (CSV)')
    .option('--charts <dir>', 'write ttft.svg and tpot.svg: predicted vs measured per row (log-log)')
    .option(
      '--save-accuracy <file>',
      'write the median and p90 errors per backend and mode (JSON; `estimate` quotes data/accuracy/silicon-dev.json)',
    )
    .action(async (csvPaths: string[], flags: CompareFlags) => {
      // Flags first: a typo should not wait for the CSV to be read.
      const mode: DatabaseMode = parseDatabaseMode(flags.databaseMode);
      const client = {
        ...(flags.lengthRatio !== undefined
          ? { lengthRatio: parseNumber('--length-ratio', flags.lengthRatio, 1) }
          : {}),
        ...(flags.waves !== undefined ? { waves: parsePositiveInt('--waves', flags.waves) } : {}),
      };
      const systems = new SystemRegistry(flags.systemsDir ?? []);
      const parsed = readSiliconCsvs(csvPaths);
      for (const problem of parsed.problems) process.stderr.write(`warning: skipped ${problem.message}\n`);
      const rows = flags.filter ? parsed.rows.filter((r) => r.id.includes(flags.filter!)) : parsed.rows;

      const report = await compareSiliconRows(rows, {
        systems,
        mode,
        client,
        ...(flags.perfData ? { perfDataDir: flags.perfData } : {}),
        warn: (message) => process.stderr.write(`warning: ${message}\n`),
      });
      const predictions = report.predictions;
      if (flags.out) await writeFileAtomic(flags.out, predictionsCsv(predictions));
      if (flags.charts)
        await writeAccuracyCharts(flags.charts, predictions, csvPaths.map((p) => basename(p)).join(', '));
      if (flags.saveAccuracy) {
        const profile = accuracyProfile(report, {
          measurements: csvPaths.map((p) => basename(p)).join(', '),
          perfData: flags.perfData ? basename(flags.perfData) : 'embedded',
          measuredAt: new Date().toISOString().slice(0, 10),
        });
        await writeFileAtomic(flags.saveAccuracy, `${JSON.stringify(profile, null, 2)}\n`);
      }
      if (globals().json) {
        printJson({
          coverage: report.coverage,
          rows: report.predictions.length,
          malformed_rows: parsed.problems.map((p) => p.message),
          partitions: report.partitions.map((p) => ({
            partition: p.partition,
            value: p.value,
            rows: p.rows,
            predicted: p.predicted,
            ttft_mape_pct: p.ttftMapePct,
            ttft_median_ape_pct: p.ttftMedianApePct,
            tpot_mape_pct: p.tpotMapePct,
            tpot_median_ape_pct: p.tpotMedianApePct,
            ttft_low_pct: p.ttftLowPct,
            tpot_low_pct: p.tpotLowPct,
          })),
          failures: report.failuresByReason,
          ...(report.repeatSpread
            ? {
                repeat_spread: {
                  configurations: report.repeatSpread.groups,
                  rows: report.repeatSpread.rows,
                  differing_rows: report.repeatSpread.differingRows,
                  ttft_mape_pct: report.repeatSpread.ttftMapePct,
                  ttft_median_ape_pct: report.repeatSpread.ttftMedianApePct,
                  tpot_mape_pct: report.repeatSpread.tpotMapePct,
                  tpot_median_ape_pct: report.repeatSpread.tpotMedianApePct,
                },
              }
            : {}),
        });
        return;
      }
      process.stdout.write(renderSiliconReport(report, parsed.problems.length));
    });
}
