// Turns a loaded table into lookup groups (exact-match columns) each holding an AxisTree over the
// interpolated axes. The per-table choice of groups, axes and blend modes lives here.
import { type AxisConfig, AxisTree, type BlendMode } from './axis-tree.js';
import { type PerfTable, permuteRows } from './perf-table.js';
import type { TableName } from './table-schemas.js';

interface IndexSpec {
  /** Columns that must match exactly (dtypes, distribution, window, ...). */
  readonly groupColumns: readonly string[];
  /** Interpolated axes, outermost first; `column` may be a derived name handled by `coords`. */
  readonly axes: readonly AxisConfig[];
  /** Leave out beam-search rows (beam_width != 1). */
  readonly skip?: 'beam';
}

const axis = (
  name: string,
  blend: BlendMode = 'linear',
  maxOctaves = Number.POSITIVE_INFINITY,
): AxisConfig => ({
  name,
  blend,
  maxOctaves,
});

const ATTENTION_AXES = (seq: string, seqBlend: BlendMode) => [
  axis('head_dim'),
  axis('num_heads'),
  axis('num_key_value_heads'),
  axis('batch_size'),
  axis(seq, seqBlend),
];

// Blend modes per axis were chosen by leave-one-out error on real tables (bench/perfdb-accuracy.ts,
// docs/perf-database.md): linear in general, a monotone cubic in log-log space (pchip) along the
// context sequence length (latency grows ~ s^2) and message size, log-log for MoE.

/** Index layout per table (see docs/perf-database.md "Interpolation"). */
export const INDEX_SPECS: Readonly<Record<TableName, IndexSpec>> = {
  // An uncollected (n, k) site borrows from sites at most 2 octaves away.
  gemm: { groupColumns: ['gemm_dtype'], axes: [axis('n', 'linear', 2), axis('k', 'linear', 2), axis('m')] },
  context_attention: {
    groupColumns: ['attn_dtype', 'kv_cache_dtype', 'window_size'],
    axes: ATTENTION_AXES('isl', 'pchip'),
    skip: 'beam',
  },
  generation_attention: {
    groupColumns: ['attn_dtype', 'kv_cache_dtype', 'window_size'],
    axes: ATTENTION_AXES('kv_len', 'linear'),
    skip: 'beam',
  },
  context_mla: {
    groupColumns: ['mla_dtype', 'kv_cache_dtype'],
    axes: [axis('num_heads'), axis('batch_size'), axis('isl', 'pchip')],
  },
  generation_mla: {
    groupColumns: ['mla_dtype', 'kv_cache_dtype'],
    axes: [axis('num_heads'), axis('batch_size'), axis('kv_len')],
  },
  mla_bmm: { groupColumns: ['op_name', 'bmm_dtype'], axes: [axis('num_heads'), axis('num_tokens')] },
  moe: {
    groupColumns: ['moe_dtype', 'distribution'],
    axes: [
      axis('num_experts', 'loglog'),
      axis('topk', 'loglog'),
      axis('hidden_size', 'loglog'),
      axis('inter_size', 'loglog'),
      axis('moe_tp_size', 'loglog'),
      axis('moe_ep_size', 'loglog'),
      axis('num_tokens', 'loglog'),
    ],
  },
  nccl: { groupColumns: ['op_name', 'nccl_dtype'], axes: [axis('num_gpus'), axis('message_size', 'pchip')] },
  custom_allreduce: {
    groupColumns: ['kernel_source'],
    axes: [axis('num_gpus'), axis('message_size', 'loglog')],
  },
  elementwise: { groupColumns: ['op_name', 'elementwise_dtype'], axes: [axis('width'), axis('num_tokens')] },
};

export interface IndexGroup {
  readonly key: string;
  /** Group column values, in INDEX_SPECS order. */
  readonly values: readonly string[];
  readonly tree: AxisTree;
}

export interface TableIndex {
  readonly table: PerfTable;
  readonly groups: ReadonlyMap<string, IndexGroup>;
  /** Rows left out: non-positive or non-finite latency, beam search. */
  readonly skippedRows: number;
  /** Rows whose index coordinates collided with a later row (e.g. MLA rows differing only in tp_size). */
  readonly collisions: number;
}

export function groupKey(values: readonly (string | number)[]): string {
  return values.join('|');
}

/** Build the index; `axesOverride` lets the accuracy benchmark compare blend modes. */
export function buildTableIndex(table: PerfTable, axesOverride?: readonly AxisConfig[]): TableIndex {
  const spec = INDEX_SPECS[table.schema.name];
  const axes = axesOverride ?? spec.axes;
  const latency = table.numbers.get('latency')!;
  const num = (column: string) => table.numbers.get(column);
  const isl = num('isl');
  const step = num('step');
  const heads = num('num_heads');
  const axisColumns = axes.map((a) => {
    if (a.name === 'kv_len') return undefined;
    const col = num(a.name);
    if (!col) throw new Error(`index axis ${a.name} missing in ${table.schema.name}`);
    return col;
  });
  const kvHeadsAxis = axes.findIndex((a) => a.name === 'num_key_value_heads');
  // Group id per row from small integer codes (no per-row strings).
  const codeCols = spec.groupColumns.map((name) => {
    const s = table.strings.get(name);
    if (s) return { codes: s.codes as ArrayLike<number>, label: (code: number) => s.dict[code]! };
    const values = num(name)!;
    const distinct = [...new Set(values)];
    const index = new Map(distinct.map((v, i) => [v, i]));
    const codes = Uint32Array.from(values, (v) => index.get(v)!);
    return { codes: codes as ArrayLike<number>, label: (code: number) => String(distinct[code]) };
  });
  const beam = spec.skip ? num('beam_width') : undefined;
  const members = new Map<number, number[]>();
  let skipped = 0;
  for (let row = 0; row < table.rowCount; row++) {
    const lat = latency[row]!;
    if (!(lat > 0) || !Number.isFinite(lat) || (beam !== undefined && beam[row] !== 1)) {
      skipped++;
      continue;
    }
    let id = 0;
    for (const c of codeCols) id = id * 65536 + c.codes[row]!;
    let rows = members.get(id);
    if (!rows) {
      rows = [];
      members.set(id, rows);
    }
    rows.push(row);
  }
  const coords = (row: number, out: Float64Array) => {
    for (let i = 0; i < axes.length; i++) {
      const col = axisColumns[i];
      out[i] = col ? col[row]! : isl![row]! + step![row]!;
    }
    // Some files store 0 kv heads for MHA.
    if (kvHeadsAxis >= 0 && out[kvHeadsAxis] === 0) out[kvHeadsAxis] = heads![row]!;
  };
  const groups = new Map<string, IndexGroup>();
  for (const rows of members.values()) {
    const values = codeCols.map((c) => c.label(c.codes[rows[0]!]!));
    const key = groupKey(values);
    // Trees are built on first use: a search touches a few groups (one GEMM dtype, one attention
    // shape family) of tables with dozens, and building a tree sorts all its rows.
    let tree: AxisTree | undefined;
    groups.set(key, {
      key,
      values,
      get tree() {
        tree ??= new AxisTree(axes, rows, coords, latency);
        return tree;
      },
    });
  }
  return {
    table,
    groups,
    skippedRows: skipped,
    get collisions() {
      let total = 0;
      for (const group of groups.values()) total += group.tree.collisions;
      return total;
    },
  };
}

/**
 * The same rows reordered so each index group's rows are sorted by their axis coordinates
 * (`db import` stores tables this way; loading then skips the sort).
 */
export function sortRowsForIndex(table: PerfTable): PerfTable {
  const index = buildTableIndex(table);
  const winners: number[] = [];
  const placed = new Uint8Array(table.rowCount);
  for (const group of index.groups.values()) {
    group.tree.forEachLeaf((_point, _lat, row) => {
      placed[row] = 1;
      winners.push(row);
    });
  }
  // Rows the index leaves out (bad latency, beam search, rows whose coordinates a later row
  // shares) go first, so on reload the same later row still wins its coordinates.
  const order: number[] = [];
  for (let row = 0; row < table.rowCount; row++) if (!placed[row]) order.push(row);
  order.push(...winners);
  return permuteRows(table, order);
}
