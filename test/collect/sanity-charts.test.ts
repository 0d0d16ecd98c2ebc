import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartsFor } from '../../src/collect/index.js';
import { DATA_DIR } from '../../src/common/index.js';
import { SystemRegistry } from '../../src/hardware/index.js';
import { validatePerfData } from '../../src/perfdb/index.js';
import { tempDir } from './campaign-helpers.js';

describe('sanity charts', () => {
  it("count the rows above SOL as the perf database's gate does (shipped H200 MoE and elementwise tables)", async () => {
    const root = tempDir('charts');
    const dir = join(root, 'h200_sxm', 'torch', '2.11.0');
    mkdirSync(dir, { recursive: true });
    for (const table of ['moe', 'elementwise'])
      copyFileSync(
        join(DATA_DIR, 'collected', 'h200_sxm', 'torch', '2.11.0', `${table}_perf.txt`),
        join(dir, `${table}_perf.txt`),
      );
    const charts = chartsFor(dir, 'h200_sxm');
    const registry = new SystemRegistry();
    const report = await validatePerfData(root, (name) => registry.get(name));
    for (const table of ['moe', 'elementwise']) {
      const gate = report.tables
        .find((t) => t.table === table)
        ?.results.find((r) => r.gate === 'not faster than SOL');
      const aboveSol = charts.find((c) => c.table === table)?.aboveSol ?? -1;
      expect(aboveSol).toBeGreaterThan(0);
      expect(gate?.detail).toContain(`${aboveSol} point(s) faster than SOL`);
    }
  });
});
