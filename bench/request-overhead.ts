// Re-derives the one calibrated constant, each backend's request overhead (docs/serving-model.md):
// the median gap between measured TTFT and the predicted TTFT without the overhead, over the
// aggregated rows with at most 4 clients (little queueing). Prints it beside the value in use.
// Usage: npm run bench -- request-overhead CSV --perf-data DIR
import { median } from '../src/common/index.js';
import { backendProfile, isBackend } from '../src/engine/index.js';
import { SystemRegistry } from '../src/hardware/index.js';
import { compareSiliconRows, readSiliconCsv, siliconConcurrency } from '../src/silicon/index.js';
import { optionValue, positionalArg } from './bench-options.js';

const MAX_CLIENTS = 4;

export async function run(args: string[]): Promise<void> {
  const csv = positionalArg(args);
  const perfDataDir = optionValue(args, '--perf-data');
  if (!csv) {
    process.stderr.write('usage: npm run bench -- request-overhead CSV --perf-data DIR\n');
    process.exitCode = 2;
    return;
  }
  const rows = readSiliconCsv(csv).rows.filter((r) => {
    const clients = siliconConcurrency(r);
    return r.mode === 'agg' && clients !== undefined && clients <= MAX_CLIENTS;
  });
  const report = await compareSiliconRows(rows, {
    systems: new SystemRegistry(),
    mode: 'hybrid',
    ...(perfDataDir ? { perfDataDir } : {}),
    warn: () => {},
  });
  const gaps = new Map<string, number[]>();
  for (const p of report.predictions) {
    if (!p.metrics || !isBackend(p.row.backend)) continue;
    const inUse = backendProfile(p.row.backend).requestOverheadMs;
    const list = gaps.get(p.row.backend) ?? [];
    list.push(p.row.silicon_ttft_ms - (p.metrics.ttftMs - inUse));
    gaps.set(p.row.backend, list);
  }
  process.stdout.write(
    `backend  rows  median gap (ms)  in use (ms)   [agg rows, <= ${MAX_CLIENTS} clients]\n`,
  );
  for (const [backend, list] of [...gaps].sort(([a], [b]) => a.localeCompare(b))) {
    const gap = median(list);
    const inUse = isBackend(backend) ? backendProfile(backend).requestOverheadMs : Number.NaN;
    process.stdout.write(
      `${backend.padEnd(8)} ${String(list.length).padStart(5)} ${gap.toFixed(1).padStart(16)} ${String(inUse).padStart(12)}\n`,
    );
  }
}
