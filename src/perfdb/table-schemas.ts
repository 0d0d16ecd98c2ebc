// The perf table schemas: which columns each table has (AIC-compatible) and where it lives.
// Every row starts with the prefix columns, then the table's key columns, then latency [, power, power_limit].

export const PREFIX_COLUMNS = ['framework', 'version', 'device', 'op_name', 'kernel_source'] as const;
export const VALUE_COLUMNS = ['latency', 'power', 'power_limit'] as const;

export const TABLE_NAMES = [
  'gemm',
  'context_attention',
  'generation_attention',
  'context_mla',
  'generation_mla',
  'mla_bmm',
  'moe',
  'nccl',
  'custom_allreduce',
  'elementwise',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** Directory families of aiconfigurator's current layout (`<system>/<family>/<backend>/<version>/`). */
export const FAMILIES = ['gemm', 'attention', 'mla', 'mla_bmm', 'moe', 'comm', 'elementwise'] as const;
export type Family = (typeof FAMILIES)[number];

export type ColumnType = 'string' | 'int';

export interface KeyColumn {
  readonly name: string;
  readonly type: ColumnType;
  /** Value used when an older file lacks the column (e.g. window_size); absent = required. */
  readonly defaultValue?: string | number;
}

export interface TableSchema {
  readonly name: TableName;
  readonly family: Family;
  /** Key columns in canonical order (files may order them differently). */
  readonly keyColumns: readonly KeyColumn[];
  /** Extra descriptive columns some files carry (kept, not part of the key). */
  readonly extraColumns: readonly KeyColumn[];
  /** op_name values accepted in this table (spellings differ by backend). */
  readonly opNames: readonly string[];
}

const str = (name: string): KeyColumn => ({ name, type: 'string' });
const int = (name: string, defaultValue?: number): KeyColumn =>
  defaultValue === undefined ? { name, type: 'int' } : { name, type: 'int', defaultValue };

const ATTENTION_KEYS: readonly KeyColumn[] = [
  int('batch_size'),
  int('isl'),
  int('num_heads'),
  int('num_key_value_heads'),
  int('head_dim'),
  int('window_size', 0),
  int('beam_width', 1),
  str('attn_dtype'),
  str('kv_cache_dtype'),
  int('step', 0),
];
const MLA_KEYS: readonly KeyColumn[] = [
  str('mla_dtype'),
  str('kv_cache_dtype'),
  int('num_heads'),
  int('batch_size'),
  int('isl'),
  int('tp_size', 1),
  int('step', 0),
];

export const TABLE_SCHEMAS: Readonly<Record<TableName, TableSchema>> = {
  gemm: {
    name: 'gemm',
    family: 'gemm',
    keyColumns: [str('gemm_dtype'), int('m'), int('n'), int('k')],
    extraColumns: [],
    opNames: ['gemm'],
  },
  context_attention: {
    name: 'context_attention',
    family: 'attention',
    keyColumns: ATTENTION_KEYS,
    extraColumns: [],
    opNames: ['context_attention'],
  },
  generation_attention: {
    name: 'generation_attention',
    family: 'attention',
    keyColumns: ATTENTION_KEYS,
    extraColumns: [],
    opNames: ['generation_attention'],
  },
  context_mla: {
    name: 'context_mla',
    family: 'mla',
    keyColumns: MLA_KEYS,
    extraColumns: [],
    opNames: ['context_mla', 'mla_context'],
  },
  generation_mla: {
    name: 'generation_mla',
    family: 'mla',
    keyColumns: MLA_KEYS,
    extraColumns: [],
    opNames: ['generation_mla', 'mla_generation'],
  },
  mla_bmm: {
    name: 'mla_bmm',
    family: 'mla_bmm',
    keyColumns: [str('bmm_dtype'), int('num_tokens'), int('num_heads')],
    extraColumns: [],
    opNames: ['mla_gen_pre', 'mla_gen_post'],
  },
  moe: {
    name: 'moe',
    family: 'moe',
    keyColumns: [
      str('moe_dtype'),
      int('num_tokens'),
      int('hidden_size'),
      int('inter_size'),
      int('topk'),
      int('num_experts'),
      int('moe_tp_size'),
      int('moe_ep_size'),
      str('distribution'),
    ],
    extraColumns: [],
    opNames: ['moe'],
  },
  nccl: {
    name: 'nccl',
    family: 'comm',
    keyColumns: [str('nccl_dtype'), int('num_gpus'), int('message_size')],
    extraColumns: [],
    opNames: ['all_gather', 'all_reduce', 'alltoall', 'reduce_scatter'],
  },
  custom_allreduce: {
    name: 'custom_allreduce',
    family: 'comm',
    keyColumns: [str('allreduce_dtype'), int('num_gpus'), int('message_size')],
    // Files name the implementation in one of these (they differ by backend).
    extraColumns: [str('backend'), str('implementation')],
    opNames: ['all_reduce'],
  },
  elementwise: {
    name: 'elementwise',
    family: 'elementwise',
    keyColumns: [str('elementwise_dtype'), int('num_tokens'), int('width')],
    extraColumns: [],
    opNames: ['rms_norm', 'silu_mul', 'add', 'rope', 'embedding', 'kv_write'],
  },
};

/** All columns a file of this table may have, in canonical order. */
export function canonicalColumns(schema: TableSchema): string[] {
  return [
    ...PREFIX_COLUMNS,
    ...schema.keyColumns.map((c) => c.name),
    ...VALUE_COLUMNS,
    ...schema.extraColumns.map((c) => c.name),
  ];
}

/** `gemm_perf.txt`, `gemm_perf.parquet`, `gemm.ipdb` -> 'gemm'; undefined for other files. */
export function tableNameOfFile(file: string): { table: TableName; format: PerfFileFormat } | undefined {
  const match = /^(.+?)(_perf\.txt|_perf\.csv|_perf\.parquet|\.ipdb)$/.exec(file);
  if (!match) return undefined;
  const table = (TABLE_NAMES as readonly string[]).includes(match[1]!) ? (match[1] as TableName) : undefined;
  if (!table) return undefined;
  const suffix = match[2]!;
  const format: PerfFileFormat = suffix === '.ipdb' ? 'ipdb' : suffix.endsWith('parquet') ? 'parquet' : 'csv';
  return { table, format };
}

export type PerfFileFormat = 'csv' | 'parquet' | 'ipdb';
