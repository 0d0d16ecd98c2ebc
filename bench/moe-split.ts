// Which way each perf database carries MoE utilisation to an expert layout it lacks (moe_tp n
// where only moe_tp 1 was collected, or the reverse): hold the unsplit kernel's utilisation, or
// take the same split of the other kind. Scored on each table's shapes collected under (1, 1),
// (n, 1) and (1, n); the estimator uses the same score (src/perfdb/moe-split-rule.ts).
// Usage: npm run bench -- moe-split --perf-data DIR
import { SystemRegistry } from '../src/hardware/index.js';
import { NCCL_BACKEND, openPerfDatabase, prefersMoeSameSplit, scanPerfData } from '../src/perfdb/index.js';
import { renderTable } from '../src/report/index.js';
import { optionValue } from './bench-options.js';

export async function run(args: string[]): Promise<void> {
  const dir = optionValue(args, '--perf-data');
  if (!dir) {
    process.stderr.write('usage: npm run bench -- moe-split --perf-data DIR\n');
    process.exitCode = 2;
    return;
  }
  const registry = new SystemRegistry();
  const rows: string[][] = [];
  for (const [system, backends] of scanPerfData(dir).systems) {
    if (!registry.names().includes(system)) continue;
    for (const [backend, versions] of backends) {
      if (backend === NCCL_BACKEND) continue;
      for (const version of versions.keys()) {
        const db = await openPerfDatabase({
          system: registry.get(system),
          backend,
          version,
          perfDataDir: dir,
          mode: 'silicon',
          warn: () => {},
        });
        if (!db.hasTable('moe')) continue;
        const evidence = db.moeSplits();
        for (const e of evidence) {
          rows.push([
            `${system} ${backend} ${version}`,
            `moe_${e.axis} ${e.gpus}`,
            String(e.comparisons),
            `${e.holdErrorPct.toFixed(1)}%`,
            `${e.sameSplitErrorPct.toFixed(1)}%`,
            prefersMoeSameSplit(evidence, e.axis, e.gpus) ? 'same split' : 'hold',
          ]);
        }
      }
    }
  }
  process.stdout.write(
    `${renderTable(['database', 'missing layout', 'points', 'hold: median |error|', 'same split: median |error|', 'used'], rows)}\n`,
  );
}
