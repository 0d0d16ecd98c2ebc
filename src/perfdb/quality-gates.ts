// Quality gates for perf tables: run by `inferplan db validate` and by the collector before it
// publishes a table. Each gate passes, warns (worth a look) or fails (the table should not ship).
import { basename } from 'node:path';
import { InferplanError } from '../common/index.js';
import type { SystemSpec } from '../hardware/index.js';
import { loadTableFile } from './file-loaders.js';
import { scanPerfData } from './perf-data-catalog.js';
import { distinctStrings, type PerfTable } from './perf-table.js';
import { TableDatabase } from './table-database.js';
import { buildTableIndex } from './table-index.js';
import { tableNameOfFile } from './table-schemas.js';

export type GateStatus = 'pass' | 'warn' | 'fail';

export interface GateResult {
  readonly gate: string;
  readonly status: GateStatus;
  readonly detail: string;
}

export interface GateThresholds {
  /** A point may be this much faster than its predecessor on a curve before it counts as non-monotone. */
  readonly monotoneNoise: number;
  /** Fraction of non-monotone steps above which the gate fails (below: warn). */
  readonly monotoneFailFraction: number;
  /** Latency / SOL below this fails (a measurement faster than physics allows, with margin). */
  readonly solFailRatio: number;
  /** Power above power_limit by more than this fraction fails. */
  readonly powerTolerance: number;
}

export const DEFAULT_GATE_THRESHOLDS: GateThresholds = {
  monotoneNoise: 0.1,
  monotoneFailFraction: 0.05,
  solFailRatio: 0.5,
  powerTolerance: 0.05,
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * Check one loaded table. `system` enables the SOL gate. (Missing columns never reach here: every
 * loader rejects a file without the prefix columns, its keys or latency.)
 */
export function checkPerfTable(
  table: PerfTable,
  system?: SystemSpec,
  thresholds: GateThresholds = DEFAULT_GATE_THRESHOLDS,
): GateResult[] {
  const results: GateResult[] = [];
  for (const column of ['framework', 'version', 'device'] as const) {
    const values = distinctStrings(table, column);
    results.push({
      gate: `consistent ${column}`,
      status: values.length === 1 ? 'pass' : 'fail',
      detail:
        values.length === 1
          ? values[0]!
          : `${values.length} different values: ${values.slice(0, 5).join(', ')}`,
    });
  }
  const latency = table.numbers.get('latency')!;
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < table.rowCount; i++) {
    const v = latency[i]!;
    if (!(v > 0) || !Number.isFinite(v)) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
  }
  results.push({
    gate: 'finite positive latency',
    status: bad ? 'fail' : 'pass',
    detail: bad ? `${bad} row(s), first at data row ${firstBad + 1}` : `${table.rowCount} rows`,
  });
  results.push({
    gate: 'duplicate keys',
    status: table.duplicateKeys ? 'warn' : 'pass',
    detail: table.duplicateKeys
      ? `${table.duplicateKeys} row(s) repeated a key (the latest was kept)`
      : 'none',
  });
  const power = table.numbers.get('power');
  if (power) {
    const limit = table.numbers.get('power_limit');
    let over = 0;
    let nonPositive = 0;
    for (let i = 0; i < table.rowCount; i++) {
      const p = power[i]!;
      if (Number.isNaN(p)) continue;
      if (!(p > 0)) nonPositive++;
      const l = limit?.[i];
      if (l !== undefined && Number.isFinite(l) && p > l * (1 + thresholds.powerTolerance)) over++;
    }
    results.push({
      gate: 'power vs limit',
      status: over || nonPositive ? 'fail' : 'pass',
      detail:
        over || nonPositive
          ? `${over} row(s) above power_limit, ${nonPositive} non-positive`
          : limit
            ? 'within limit'
            : 'no power_limit column',
    });
  }
  const index = buildTableIndex(table);
  let steps = 0;
  let drops = 0;
  let worst = 0;
  for (const group of index.groups.values()) {
    group.tree.forEachCurve((keys, lat) => {
      for (let i = 1; i < keys.length; i++) {
        steps++;
        const drop = 1 - lat[i]! / lat[i - 1]!;
        if (drop > thresholds.monotoneNoise) {
          drops++;
          if (drop > worst) worst = drop;
        }
      }
    });
  }
  const dropFraction = steps ? drops / steps : 0;
  results.push({
    gate: 'monotone within noise',
    status: dropFraction > thresholds.monotoneFailFraction ? 'fail' : drops ? 'warn' : 'pass',
    detail: drops
      ? `${drops} of ${steps} steps along ${lastAxisName(index)} drop by more than ${pct(thresholds.monotoneNoise)} (worst ${pct(worst)})`
      : `${steps} steps checked`,
  });
  if (system) {
    const db = new TableDatabase(
      system,
      'validate',
      'validate',
      'silicon',
      new Map([[table.schema.name, index]]),
    );
    const handles = db.groupHandles(table.schema.name);
    let below = 0;
    let impossible = 0;
    let minRatio = Number.POSITIVE_INFINITY;
    for (const handle of handles) {
      handle.group.tree.forEachLeaf((point, lat) => {
        const ratio = lat / handle.sol(point);
        if (ratio < 1) below++;
        if (ratio < thresholds.solFailRatio) impossible++;
        if (ratio < minRatio) minRatio = ratio;
      });
    }
    results.push({
      gate: 'not faster than SOL',
      status: impossible ? 'fail' : below ? 'warn' : 'pass',
      detail: below
        ? `${below} point(s) faster than SOL on ${system.name} (fastest at ${pct(1 / minRatio)} of SOL)`
        : `all points at or above SOL on ${system.name}`,
    });
  }
  return results;
}

function lastAxisName(index: ReturnType<typeof buildTableIndex>): string {
  const first = index.groups.values().next().value;
  return first ? first.tree.axes[first.tree.axes.length - 1]!.name : 'the innermost axis';
}

/**
 * Gate one table file (`<table>_perf.txt`, `.parquet` or `.ipdb`): what the collector calls before
 * it publishes a table. A file that does not load is a failed `readable` gate.
 */
export async function checkPerfFile(
  file: string,
  system?: SystemSpec,
  thresholds: GateThresholds = DEFAULT_GATE_THRESHOLDS,
): Promise<{ table: string; rows: number; ok: boolean; results: GateResult[] }> {
  const parsed = tableNameOfFile(basename(file));
  if (!parsed)
    return {
      table: basename(file),
      rows: 0,
      ok: false,
      results: [
        {
          gate: 'readable',
          status: 'fail',
          detail: `${file}: not a perf table file name (<table>_perf.txt, <table>_perf.parquet or <table>.ipdb)`,
        },
      ],
    };
  try {
    const table = await loadTableFile(file, parsed.table, parsed.format);
    const results = checkPerfTable(table, system, thresholds);
    return {
      table: parsed.table,
      rows: table.rowCount,
      ok: results.every((r) => r.status !== 'fail'),
      results,
    };
  } catch (error) {
    if (!(error instanceof InferplanError)) throw error;
    return {
      table: parsed.table,
      rows: 0,
      ok: false,
      results: [{ gate: 'readable', status: 'fail', detail: error.message }],
    };
  }
}

export interface TableReport {
  readonly file: string;
  readonly system: string;
  readonly backend: string;
  readonly version: string;
  readonly table: string;
  readonly rows: number;
  readonly results: readonly GateResult[];
}

export interface ValidationReport {
  readonly ok: boolean;
  readonly tables: readonly TableReport[];
}

/** Validate every table under a perf data folder; `systemOf` resolves a folder's system (or undefined). */
export async function validatePerfData(
  dir: string,
  systemOf: (name: string) => SystemSpec | undefined,
  thresholds: GateThresholds = DEFAULT_GATE_THRESHOLDS,
  progress?: (done: number, total: number) => void,
): Promise<ValidationReport> {
  const catalog = scanPerfData(dir);
  const tables: TableReport[] = [];
  let total = 0;
  for (const backends of catalog.systems.values())
    for (const versions of backends.values())
      for (const refs of versions.values()) for (const ref of refs.values()) if (!ref.reusedFrom) total++;
  for (const [system, backends] of catalog.systems) {
    const spec = systemOf(system);
    for (const [backend, versions] of backends) {
      for (const [version, refs] of versions) {
        for (const ref of refs.values()) {
          if (ref.reusedFrom) continue;
          let results: GateResult[];
          let rows = 0;
          try {
            const table = await loadTableFile(ref.file, ref.table, ref.format);
            rows = table.rowCount;
            results = checkPerfTable(table, spec, thresholds);
            if (!spec)
              results.push({
                gate: 'not faster than SOL',
                status: 'warn',
                detail: `unknown system '${system}': skipped`,
              });
          } catch (error) {
            if (!(error instanceof InferplanError)) throw error;
            results = [{ gate: 'readable', status: 'fail', detail: error.message }];
          }
          tables.push({ file: ref.file, system, backend, version, table: ref.table, rows, results });
          progress?.(tables.length, total);
        }
      }
    }
  }
  return { ok: tables.every((t) => t.results.every((r) => r.status !== 'fail')), tables };
}
