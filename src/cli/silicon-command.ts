// `inferplan silicon compare`: predict measured serving results and report how far off we are.
import type { Command } from 'commander';
import { InferplanError, writeFileAtomic } from '../common/index.js';
import { type Backend, isBackend } from '../engine/index.js';
import { SystemRegistry } from '../hardware/index.js';
import { type DatabaseMode, openPerfDatabase, type PerfDatabase } from '../perfdb/index.js';
import { renderTable } from '../report/index.js';
import {
  predictRow,
  readSiliconCsv,
  type SiliconPrediction,
  type SiliconReport,
  scorePredictions,
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
}

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? value.toPrecision(6) : '') : value;
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
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
    'ttft_abs_pct_error',
    'silicon_tpot_ms',
    'predicted_tpot_ms',
    'tpot_abs_pct_error',
    'predicted_tokens_per_s_per_gpu',
    'measured_share',
    'failure',
  ];
  const lines = [head.join(',')];
  for (const p of predictions) {
    const r = p.row;
    lines.push(
      [
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
        p.ttftErrorPct,
        r.silicon_tpot_ms,
        p.metrics?.tpotMs,
        p.tpotErrorPct,
        p.metrics?.tokensPerSPerGpu,
        p.metrics ? p.metrics.provenance.measured + p.metrics.provenance.interpolated : undefined,
        p.failure,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function pct(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)}%` : '-';
}

function renderReport(report: SiliconReport, problems: number): string {
  const rows = report.partitions.map((p) => [
    p.partition,
    p.value,
    `${p.predicted}/${p.rows}`,
    pct(p.ttftMapePct),
    pct(p.ttftMedianApePct),
    pct(p.tpotMapePct),
    pct(p.tpotMedianApePct),
  ]);
  let out = renderTable(
    ['partition', 'value', 'predicted', 'TTFT MAPE', 'TTFT median', 'TPOT MAPE', 'TPOT median'],
    rows,
  );
  out += `coverage: ${(report.coverage * 100).toFixed(1)}% of ${report.predictions.length} rows`;
  out += problems > 0 ? ` (${problems} malformed rows skipped)\n` : '\n';
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

export function registerSiliconCommand(program: Command, globals: () => GlobalOptions): void {
  const silicon = program
    .command('silicon')
    .description('compare predictions with measurements on real GPUs');
  silicon
    .command('compare <csv>')
    .description('predict every row of a measured serving-results CSV and report the errors per partition')
    .option(
      '--perf-data <dir>',
      'perf data folder (an aiconfigurator systems/data folder or ours); default: embedded',
    )
    .option('--database-mode <mode>', 'silicon, hybrid, empirical or sol', 'hybrid')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .option('--filter <text>', 'only rows whose id contains this text')
    .option('--length-ratio <r>', 'benchmark client: request lengths uniform in [r, 1] x isl/osl (1 = fixed)')
    .option('--waves <n>', 'benchmark client: requests sent = n x concurrency')
    .option('--out <file>', 'write per-row predictions (CSV)')
    .action(async (csvPath: string, flags: CompareFlags) => {
      const mode: DatabaseMode = parseDatabaseMode(flags.databaseMode);
      const systems = new SystemRegistry(flags.systemsDir ?? []);
      const parsed = readSiliconCsv(csvPath);
      for (const problem of parsed.problems) process.stderr.write(`warning: skipped ${problem.message}\n`);
      const rows = flags.filter ? parsed.rows.filter((r) => r.id.includes(flags.filter!)) : parsed.rows;

      // Open every database the rows need up front (loading is asynchronous, predicting is not).
      const databases = new Map<string, PerfDatabase | InferplanError>();
      const keyOf = (system: string, backend: string, version: string | undefined) =>
        `${system}|${backend}|${version ?? ''}`;
      for (const row of rows) {
        const version = row.backend_version.trim() || undefined;
        const key = keyOf(row.system, row.backend, version);
        if (databases.has(key) || !isBackend(row.backend)) continue;
        try {
          databases.set(
            key,
            await openPerfDatabase({
              system: systems.get(row.system),
              backend: row.backend,
              mode,
              ...(version ? { version } : {}),
              ...(flags.perfData ? { perfDataDir: flags.perfData } : {}),
            }),
          );
        } catch (error) {
          if (!(error instanceof InferplanError)) throw error;
          databases.set(key, error);
        }
      }
      const openDatabase = (system: string, backend: Backend, version: string | undefined): PerfDatabase => {
        const entry = databases.get(keyOf(system, backend, version));
        if (!entry)
          throw new InferplanError(`no perf data opened for ${system}/${backend}/${version ?? 'newest'}`, 5);
        if (entry instanceof InferplanError) throw entry;
        return entry;
      };
      const client = {
        ...(flags.lengthRatio !== undefined
          ? { lengthRatio: parseNumber('--length-ratio', flags.lengthRatio, 1) }
          : {}),
        ...(flags.waves !== undefined ? { waves: parsePositiveInt('--waves', flags.waves) } : {}),
      };
      const predictions = rows.map((row) => predictRow(row, { systems, openDatabase, mode, client }));
      const report = scorePredictions(predictions);
      if (flags.out) await writeFileAtomic(flags.out, predictionsCsv(predictions));
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
          })),
          failures: report.failuresByReason,
        });
        return;
      }
      process.stdout.write(renderReport(report, parsed.problems.length));
    });
}
