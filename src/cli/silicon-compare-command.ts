// `inferplan silicon compare`: predict measured serving results and report how far off we are.
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { InvalidInputError, UsageError, writeFileAtomic } from '../common/index.js';
import { SystemRegistry } from '../hardware/index.js';
import type { DatabaseMode } from '../perfdb/index.js';
import { accuracyChartSpec, renderSvgChart, renderTable, toCsv } from '../report/index.js';
import {
  accuracyProfile,
  compareSiliconRows,
  readSiliconCsvs,
  refuseOverwritingInputs,
  repeatSpreadLine,
  type SiliconPrediction,
  type SiliconReport,
  siliconConcurrency,
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
      ['rows', 'reason', 'first row'],
      report.failuresByReason.map((f) => [`${f.count}`, f.reason, f.example]),
    );
  }
  return out;
}

export function registerSiliconCompareCommand(silicon: Command, globals: () => GlobalOptions): void {
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
      const lengthRatio =
        flags.lengthRatio === undefined ? undefined : parseNumber('--length-ratio', flags.lengthRatio, 1);
      if (lengthRatio !== undefined && !(lengthRatio > 0 && lengthRatio <= 1)) {
        throw new UsageError(
          `--length-ratio must be in (0, 1] (lengths are drawn from [r, 1] x nominal), got ${lengthRatio}`,
        );
      }
      refuseOverwritingInputs(csvPaths, [
        ['--out', flags.out],
        ['--save-accuracy', flags.saveAccuracy],
      ]);
      const client = {
        ...(lengthRatio !== undefined ? { lengthRatio } : {}),
        ...(flags.waves !== undefined ? { waves: parsePositiveInt('--waves', flags.waves) } : {}),
      };
      const systems = new SystemRegistry(flags.systemsDir ?? []);
      const parsed = readSiliconCsvs(csvPaths);
      for (const problem of parsed.problems) process.stderr.write(`warning: skipped ${problem.message}\n`);
      const rows = flags.filter ? parsed.rows.filter((r) => r.id.includes(flags.filter!)) : parsed.rows;
      if (rows.length === 0) {
        throw new InvalidInputError(
          flags.filter && parsed.rows.length > 0
            ? `--filter '${flags.filter}' matches no row id of ${parsed.rows.length} rows`
            : `${csvPaths.join(', ')}: no rows to predict${parsed.problems.length > 0 ? ` (${parsed.problems.length} malformed, see the warnings)` : ''}`,
        );
      }

      const report = await compareSiliconRows(rows, {
        systems,
        mode,
        client,
        ...(flags.perfData ? { perfDataDir: flags.perfData } : {}),
        warn: (message) => process.stderr.write(`warning: ${message}\n`),
      });
      const predictions = report.predictions;
      const sources = csvPaths.map((p) => basename(p)).join(', ');
      if (flags.out) await writeFileAtomic(flags.out, predictionsCsv(predictions));
      if (flags.charts) await writeAccuracyCharts(flags.charts, predictions, sources);
      if (flags.saveAccuracy) {
        const profile = accuracyProfile(report, {
          measurements: sources,
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
