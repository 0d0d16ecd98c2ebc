// Decode-attention tables timed with host work in the loop. Serving engines replay decode steps
// from CUDA graphs, so a decode-attention call costs its kernel time; a table collected by calling
// the op eagerly from Python holds the host's fixed cost instead wherever the kernel is shorter
// (vLLM 0.14's MLA generation table: >= 0.1 ms per call at any size, 5th percentile 0.134 ms,
// against 0.012 ms for SGLang's and TRT-LLM's tables on the same GPUs). Such a table is replaced by
// the same op's table of another backend on the same system, the one with the fastest small calls.
import { NCCL_BACKEND, type PerfCatalog, type TableFileRef } from './perf-data-catalog.js';
import type { TableIndex } from './table-index.js';
import type { TableName } from './table-schemas.js';
import { newestVersion } from './version-order.js';

/** Tables whose calls run inside the engines' decode CUDA graphs. */
const DECODE_ATTENTION_TABLES: readonly TableName[] = ['generation_mla', 'generation_attention'];

/** A table is host-bound when its small calls are this many times slower than another engine's. */
export const HOST_BOUND_RATIO = 4;

const smallCallCache = new WeakMap<TableIndex, number>();

/** 5th percentile of a table's latencies: the cost of its smallest calls, robust to a few outliers. */
export function smallCallMs(index: TableIndex): number {
  const cached = smallCallCache.get(index);
  if (cached !== undefined) return cached;
  const latency = index.table.numbers.get('latency');
  const values = latency ? Array.from(latency).filter((v) => v > 0 && Number.isFinite(v)) : [];
  values.sort((a, b) => a - b);
  const p5 = values.length > 0 ? values[Math.floor(values.length * 0.05)]! : Number.NaN;
  smallCallCache.set(index, p5);
  return p5;
}

export interface LentTable {
  readonly table: TableName;
  readonly index: TableIndex;
  /** "backend version" of the table used instead. */
  readonly origin: string;
  readonly ownSmallCallMs: number;
  readonly lenderSmallCallMs: number;
}

/**
 * Decode-attention tables of `backend` to replace by another backend's (newest version) on the same
 * system, because their small calls cost more than HOST_BOUND_RATIO times the lender's.
 * `floorMs(ref)` is a cheap lower bound of a table's smallCallMs (0 when unknown): a table it rules
 * out is never loaded, and the choice is the same as loading every candidate.
 */
export async function lendHostBoundTables(
  catalog: PerfCatalog,
  system: string,
  backend: string,
  indexes: ReadonlyMap<TableName, TableIndex>,
  load: (ref: TableFileRef) => Promise<TableIndex>,
  floorMs: (ref: TableFileRef) => Promise<number> = async () => 0,
): Promise<LentTable[]> {
  const backends = catalog.systems.get(system);
  if (!backends) return [];
  const lent: LentTable[] = [];
  for (const table of DECODE_ATTENTION_TABLES) {
    const own = indexes.get(table);
    if (!own) continue;
    const ownMs = smallCallMs(own);
    let best: LentTable | undefined;
    for (const [other, versions] of [...backends].sort(([a], [b]) => a.localeCompare(b))) {
      if (other === backend || other === NCCL_BACKEND) continue;
      const newest = newestVersion(versions.keys());
      const ref = newest ? versions.get(newest)!.get(table) : undefined;
      if (!ref) continue;
      // Its small calls are no faster than the floor: too slow to lend, or no better than the best.
      const floor = await floorMs(ref);
      if (!(floor * HOST_BOUND_RATIO < ownMs) || (best && floor >= best.lenderSmallCallMs)) continue;
      const index = await load(ref);
      const ms = smallCallMs(index);
      if (!(ms * HOST_BOUND_RATIO < ownMs)) continue;
      if (!best || ms < best.lenderSmallCallMs)
        best = { table, index, origin: `${other} ${newest}`, ownSmallCallMs: ownMs, lenderSmallCallMs: ms };
    }
    if (best) lent.push(best);
  }
  return lent;
}
