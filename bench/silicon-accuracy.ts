// Prediction accuracy against measured serving results: what `inferplan silicon compare` reports
// (MAPE and median absolute % error of TTFT and TPOT per partition, where the error comes from,
// coverage), timed, with the targets.
// Usage: npm run bench -- silicon-accuracy CSV --perf-data DIR [--database-mode hybrid] [--length-ratio R]
import { parseDatabaseMode, parseNumber } from '../src/cli/deployment-context.js';
import { renderSiliconReport } from '../src/cli/silicon-compare-command.js';
import { SystemRegistry } from '../src/hardware/index.js';
import { compareSiliconRows, readSiliconCsv } from '../src/silicon/index.js';
import { optionValue, positionalArg } from './bench-options.js';

const OPTIONS = ['--perf-data', '--database-mode', '--length-ratio'];

export async function run(args: string[]): Promise<void> {
  const unknown = args.find((a) => a.startsWith('--') && !OPTIONS.includes(a));
  if (unknown) {
    // Per-row predictions are `inferplan silicon compare --out`'s job; this only prints figures.
    process.stderr.write(
      `silicon-accuracy: unknown option '${unknown}' (known: ${OPTIONS.join(', ')}); for per-row predictions run inferplan silicon compare CSV --out FILE\n`,
    );
    process.exitCode = 2;
    return;
  }
  const csv = positionalArg(args);
  if (!csv) {
    process.stderr.write('usage: npm run bench -- silicon-accuracy CSV --perf-data DIR\n');
    process.exitCode = 2;
    return;
  }
  const mode = parseDatabaseMode(optionValue(args, '--database-mode') ?? 'hybrid');
  const perfDataDir = optionValue(args, '--perf-data');
  const lengthRatio = optionValue(args, '--length-ratio');
  const parsed = readSiliconCsv(csv);
  const started = performance.now();
  const report = await compareSiliconRows(parsed.rows, {
    systems: new SystemRegistry(),
    mode,
    ...(perfDataDir ? { perfDataDir } : {}),
    ...(lengthRatio ? { client: { lengthRatio: parseNumber('--length-ratio', lengthRatio, 1) } } : {}),
    warn: () => {},
  });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(renderSiliconReport(report, parsed.problems.length));
  process.stdout.write(
    `${seconds.toFixed(1)} s for ${report.predictions.length} rows; targets: TTFT MAPE <= 15%, TPOT MAPE <= 10%, coverage >= 90%\n`,
  );
}
