// Prediction accuracy against measured serving results: MAPE and median absolute % error of TTFT
// and TPOT per partition, and coverage (rows predicted).
// Usage: npm run bench -- silicon-accuracy CSV --perf-data DIR [--database-mode hybrid] [--length-ratio R]
import { SystemRegistry } from '../src/hardware/index.js';
import type { DatabaseMode } from '../src/perfdb/index.js';
import { openRowDatabases, predictRow, readSiliconCsv, scorePredictions } from '../src/silicon/index.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<void> {
  const csv = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!csv) {
    process.stderr.write('usage: npm run bench -- silicon-accuracy CSV --perf-data DIR\n');
    process.exitCode = 2;
    return;
  }
  const mode = (option(args, '--database-mode') ?? 'hybrid') as DatabaseMode;
  const perfDataDir = option(args, '--perf-data');
  const lengthRatio = option(args, '--length-ratio');
  const systems = new SystemRegistry();
  const parsed = readSiliconCsv(csv);
  const started = performance.now();
  const openDatabase = await openRowDatabases(parsed.rows, {
    systems,
    mode,
    ...(perfDataDir ? { perfDataDir } : {}),
    warn: () => {},
  });
  const client = lengthRatio ? { lengthRatio: Number(lengthRatio) } : {};
  const report = scorePredictions(
    parsed.rows.map((row) => predictRow(row, { systems, openDatabase, mode, client })),
  );
  const seconds = (performance.now() - started) / 1000;
  const pct = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)}%` : '-');
  process.stdout.write(
    `${'partition'.padEnd(42)} ${'rows'.padStart(9)} ${'TTFT MAPE'.padStart(10)} ${'median'.padStart(8)} ${'TPOT MAPE'.padStart(10)} ${'median'.padStart(8)}\n`,
  );
  for (const p of report.partitions) {
    if (p.partition === 'model') continue;
    process.stdout.write(
      `${`${p.partition}=${p.value}`.padEnd(42)} ${`${p.predicted}/${p.rows}`.padStart(9)} ${pct(p.ttftMapePct).padStart(10)} ${pct(p.ttftMedianApePct).padStart(8)} ${pct(p.tpotMapePct).padStart(10)} ${pct(p.tpotMedianApePct).padStart(8)}\n`,
    );
  }
  process.stdout.write(
    `coverage ${(report.coverage * 100).toFixed(1)}% of ${report.predictions.length} rows (${parsed.problems.length} malformed); ` +
      `${seconds.toFixed(1)} s; targets: TTFT MAPE <= 15%, TPOT MAPE <= 10%, coverage >= 90%\n`,
  );
}
