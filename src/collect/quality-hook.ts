// End-of-campaign checks: the perf database's quality gates over the output tree and the sanity
// charts beside each table. Gate failures are reported (and saved), not fatal: the rows are what
// the GPU measured; `inferplan db validate` is the gate a table must pass before import.
import { join } from 'node:path';
import { writeFileAtomicSync } from '../common/index.js';
import { SystemRegistry, type SystemSpec } from '../hardware/index.js';
import { validatePerfData } from '../perfdb/index.js';
import { type ChartReport, writeSanityCharts } from './sanity-charts.js';

export interface GateSummary {
  readonly tables: number;
  readonly pass: number;
  readonly warn: number;
  readonly fail: number;
  readonly failures: readonly string[];
  readonly path: string;
}

function systemLookup(): (name: string) => SystemSpec | undefined {
  const registry = new SystemRegistry();
  return (name) => {
    try {
      return registry.get(name);
    } catch {
      return undefined;
    }
  };
}

/** Run perfdb's validatePerfData over `outRoot`; write quality_gates.json into `tableDir`. */
export async function runQualityGates(outRoot: string, tableDir: string): Promise<GateSummary> {
  const report = await validatePerfData(outRoot, systemLookup());
  let pass = 0;
  let warn = 0;
  let fail = 0;
  const failures: string[] = [];
  for (const t of report.tables)
    for (const r of t.results) {
      if (r.status === 'pass') pass++;
      else if (r.status === 'warn') warn++;
      else {
        fail++;
        failures.push(`${t.table}: ${r.gate}: ${r.detail}`);
      }
    }
  const path = join(tableDir, 'quality_gates.json');
  writeFileAtomicSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return { tables: report.tables.length, pass, warn, fail, failures, path };
}

export function chartsFor(tableDir: string, systemName: string): ChartReport[] {
  const spec = systemLookup()(systemName);
  return spec ? writeSanityCharts(tableDir, spec) : [];
}
