// The PerfDatabase behind openPerfDatabase: maps each op query onto its table group, evaluates the
// interpolation tree, applies SOL scaling (prefix, window), and falls back per database mode.
import { PerfDataMissingError } from '../common/index.js';
import type { SystemSpec } from '../hardware/index.js';
import { activationQuantMs } from './activation-quant.js';
import type { EvalFlags, PointSol } from './axis-tree.js';
import {
  assessMoeSplits,
  MOE_EP_AXIS,
  MOE_TP_AXIS,
  prefersSameSplit,
  type SplitAxis,
  type SplitEvidence,
} from './moe-split-rule.js';
import {
  type CommQuery,
  type ContextAttentionQuery,
  type ContextMlaQuery,
  type DatabaseMode,
  type ElementwiseQuery,
  type GemmQuery,
  type GenerationAttentionQuery,
  type GenerationMlaQuery,
  type MlaBmmQuery,
  MOE_DISTRIBUTIONS,
  type MoeQuery,
  type MoeRouting,
  type OpKind,
  type OpLatency,
  type OpQuery,
  type PerfDatabase,
  type Provenance,
  randomRoutingRowsApply,
} from './op-query.js';
import { canonicalDtype, SolModel, tableDtypeBytes } from './speed-of-light.js';
import { groupKey, type IndexGroup, type TableIndex } from './table-index.js';
import type { TableName } from './table-schemas.js';

/** Fixed efficiencies of the legacy empirical mode (fraction of SOL reached). */
export const LEGACY_EFFICIENCY: Readonly<Record<OpKind, number>> = {
  gemm: 0.8,
  context_attention: 0.6,
  generation_attention: 0.8,
  context_mla: 0.6,
  generation_mla: 0.8,
  mla_bmm: 0.8,
  moe: 0.4,
  comm: 0.8,
  elementwise: 0.8,
};

const TABLE_OF_KIND: Readonly<Record<Exclude<OpKind, 'comm'>, TableName>> = {
  gemm: 'gemm',
  context_attention: 'context_attention',
  generation_attention: 'generation_attention',
  context_mla: 'context_mla',
  generation_mla: 'generation_mla',
  mla_bmm: 'mla_bmm',
  moe: 'moe',
  elementwise: 'elementwise',
};

/** A group ready for queries on this system: its tree, SOL at data points, and data-below-SOL floor. */
export interface Handle {
  readonly table: TableName;
  readonly group: IndexGroup;
  readonly sol: PointSol;
  /** min(1, smallest latency / SOL in the data): the floor applied to estimates. */
  readonly floorRatio: number;
  readonly label: string;
}

export interface DatabaseOptions {
  /** Average generation attention over [0.9, 1.1] x kv when not an exact hit (default on). */
  readonly smoothGenerationKv?: boolean;
  /** Tables taken from another backend's data ("sglang 0.5.9"), named in each answer's source. */
  readonly tableOrigins?: ReadonlyMap<TableName, string>;
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(4));

/** Result of one tree lookup before mode handling. */
interface Lookup {
  latencyMs: number;
  solMs: number;
  provenance: Provenance;
  source: string;
  powerW?: number;
}

export class TableDatabase implements PerfDatabase {
  readonly systemName: string;
  private readonly solModel: SolModel;
  private readonly handles = new Map<TableName, Map<string, Handle>>();
  /** This table's evidence on carrying MoE utilisation to uncollected layouts (first need). */
  private moeSplitEvidence: readonly SplitEvidence[] | undefined;
  /** MoE group lending utilisation to each expert layout without data of its own dtype. */
  private readonly moeLender = new Map<string, Handle>();
  private readonly activationQuantCache = new Map<string, number>();
  private readonly flags: EvalFlags = { exact: true, row: -1 };
  private readonly coords = new Float64Array(8);
  private readonly smoothKv: boolean;
  /** The group that answered the latest lookup (related-data borrowing needs its SOL). */
  private lastHandle: Handle | undefined;
  /** Description of the group whose data was too far from the latest query (for the error). */
  private lastMiss = '';
  /** GEMM groups by dtype: the hottest lookup skips the generic matcher. */
  private readonly gemmGroups: ReadonlyMap<string, Handle> | undefined;

  constructor(
    readonly system: SystemSpec,
    readonly backend: string,
    readonly version: string,
    readonly mode: DatabaseMode,
    readonly indexes: ReadonlyMap<TableName, TableIndex>,
    options: DatabaseOptions = {},
  ) {
    this.systemName = system.name;
    this.solModel = new SolModel(system);
    this.smoothKv = options.smoothGenerationKv ?? true;
    for (const [name, index] of indexes) {
      const origin = options.tableOrigins?.get(name);
      const groups = new Map<string, Handle>();
      for (const group of index.groups.values()) {
        const sol = this.pointSol(name, group.values);
        // The floor walks every row of the group: compute it when the group is first queried.
        let floorRatio: number | undefined;
        groups.set(group.key, {
          table: name,
          group,
          sol,
          get floorRatio() {
            floorRatio ??= Math.min(1, group.tree.minRatio(sol));
            return floorRatio;
          },
          label: `${name}${origin ? `(${origin})` : ''}[${group.values.join(',')}]`,
        });
      }
      this.handles.set(name, groups);
    }
    this.gemmGroups = this.handles.get('gemm');
  }

  /** The query-ready groups of one table (for quality gates). */
  groupHandles(table: TableName): Handle[] {
    return [...(this.handles.get(table)?.values() ?? [])];
  }

  /** How well each way of carrying MoE utilisation to an uncollected layout does on this table. */
  moeSplits(): readonly SplitEvidence[] {
    this.moeSplitEvidence ??= assessMoeSplits(
      this.groupHandles('moe').map((h) => ({
        forEachLeaf: (visit) => h.group.tree.forEachLeaf(visit),
        sol: h.sol,
      })),
    );
    return this.moeSplitEvidence;
  }

  hasTable(kind: OpKind): boolean {
    return tableOfKind(kind).some((table) => this.handles.has(table));
  }

  /** SOL at a data point of a group, in that table's axis order (see INDEX_SPECS). */
  private pointSol(table: TableName, values: readonly string[]): PointSol {
    const s = this.solModel;
    switch (table) {
      case 'gemm': {
        const f = s.flops(values[0]!);
        const b = tableDtypeBytes(values[0]!);
        return (p) => s.gemm(p[2]!, p[0]!, p[1]!, f, b);
      }
      case 'context_attention': {
        const f = s.flops(values[0]!);
        const qb = tableDtypeBytes(values[0]!);
        const kb = tableDtypeBytes(values[1]!);
        const w = Number(values[2]);
        return (p) => s.contextAttention(p[3]!, p[4]!, 0, p[1]!, p[2]!, p[0]!, w, f, qb, kb);
      }
      case 'generation_attention': {
        const f = s.flops('bfloat16');
        const kb = tableDtypeBytes(values[1]!);
        const w = Number(values[2]);
        return (p) => s.generationAttention(p[3]!, p[4]!, p[1]!, p[2]!, p[0]!, w, f, kb);
      }
      case 'context_mla': {
        const f = s.flops(values[0]!);
        const kb = tableDtypeBytes(values[1]!);
        return (p) => s.contextMla(p[1]!, p[2]!, 0, p[0]!, f, kb);
      }
      case 'generation_mla': {
        const f = s.flops('bfloat16');
        const kb = tableDtypeBytes(values[1]!);
        return (p) => s.generationMla(p[1]!, p[2]!, p[0]!, f, kb);
      }
      case 'mla_bmm': {
        const f = s.flops(values[1]!);
        const b = tableDtypeBytes(values[1]!);
        return (p) => s.mlaBmm(p[1]!, p[0]!, f, b);
      }
      case 'moe': {
        const f = s.flops(values[0]!);
        const b = tableDtypeBytes(values[0]!);
        return (p) => s.moe(p[6]!, p[2]!, p[3]!, p[1]!, p[0]!, p[4]!, p[5]!, f, b);
      }
      case 'nccl': {
        const op = values[0] as 'all_reduce';
        const b = tableDtypeBytes(values[1]!);
        return (p) => s.comm(op, p[0]!, p[1]! * b);
      }
      case 'custom_allreduce':
        return (p) => s.comm('all_reduce', p[0]!, p[1]! * 2);
      case 'elementwise': {
        const op = values[0] as 'add';
        const b = tableDtypeBytes(values[1]!);
        return (p) => s.elementwise(op, p[1]!, p[0]!, b);
      }
    }
  }

  /** Find a group whose values match `wanted` (table spellings canonicalised; '*' matches anything). */
  private findGroup(table: TableName, wanted: readonly string[]): Handle | undefined {
    const groups = this.handles.get(table);
    if (!groups) return undefined;
    const direct = groups.get(groupKey(wanted));
    if (direct) return direct;
    for (const handle of groups.values()) {
      const values = handle.group.values;
      let ok = true;
      for (let i = 0; i < wanted.length && ok; i++) {
        const w = wanted[i]!;
        ok = w === '*' || values[i] === w || (canonicalDtype(values[i]!) ?? values[i]) === w;
      }
      if (ok) return handle;
    }
    return undefined;
  }

  private groupList(table: TableName): string {
    const groups = this.handles.get(table);
    if (!groups || groups.size === 0) return `no ${table} table`;
    const shown = [...groups.values()].slice(0, 8).map((h) => h.group.values.join('/'));
    return `${table} has ${shown.join(', ')}${groups.size > 8 ? ', ...' : ''}`;
  }

  /** Evaluate a group's tree at this.coords; undefined when no usable neighbour. */
  private lookup(handle: Handle, solQuery: number, extraScale: number, note: string): Lookup | undefined {
    const tree = handle.group.tree;
    const raw = tree.evaluate(this.coords, handle.sol, this.flags);
    if (Number.isNaN(raw)) {
      this.lastMiss = this.describe(handle, '');
      return undefined;
    }
    const flags = this.flags;
    const exactRow = flags.exact ? flags.row : -1;
    let latencyMs = raw * extraScale;
    let provenance: Provenance;
    if (flags.exact && extraScale === 1) provenance = 'measured';
    else if (tree.isInsideHull(this.coords)) provenance = 'interpolated';
    else provenance = 'extrapolated';
    if (provenance !== 'measured') {
      // Never below SOL unless the data itself is.
      const floor = solQuery * handle.floorRatio;
      if (latencyMs < floor) latencyMs = floor;
    }
    const result: Lookup = { latencyMs, solMs: solQuery, provenance, source: this.describe(handle, note) };
    this.lastHandle = handle;
    if (exactRow >= 0 && extraScale === 1) {
      const power = this.indexes.get(handle.table)?.table.numbers.get('power')?.[exactRow];
      if (power !== undefined && Number.isFinite(power)) result.powerW = power;
    }
    return result;
  }

  private describe(handle: Handle, note: string): string {
    // Hot path (every query): plain concatenation, no arrays.
    const tree = handle.group.tree;
    let text = handle.label;
    for (let i = 0; i < tree.axes.length; i++) {
      const name = tree.axes[i]!.name;
      const kind = tree.traceKind[i];
      const lo = tree.traceLo[i]!;
      if (kind === 0) text += ' ' + name + '=' + fmt(lo);
      else if (kind === 1) text += ' ' + name + ' in [' + fmt(lo) + ',' + fmt(tree.traceHi[i]!) + ']';
      else if (kind === 2) text += ' ' + name + ' util-hold from ' + fmt(lo);
      else {
        text += ' ' + name + '=' + fmt(this.coords[i]!) + ' too far from the nearest ' + fmt(lo);
        break; // deeper axes were not visited
      }
    }
    return note ? text + '; ' + note : text;
  }

  query(op: OpQuery): OpLatency {
    const solMs = this.sol(op);
    // Read before the lookups, which evaluate other SOLs (neighbours, related data).
    const computeBound = this.solModel.lastComputeBound;
    const answer = this.answer(op, solMs);
    return computeBound ? { ...answer, computeBound: true } : answer;
  }

  private answer(op: OpQuery, solMs: number): OpLatency {
    if (this.mode === 'sol') return { latencyMs: solMs, solMs, provenance: 'sol', source: 'speed of light' };
    if (op.kind === 'comm' && (op.numGpus <= 1 || op.messageElements <= 0))
      return {
        latencyMs: 0,
        solMs: 0,
        provenance: 'measured',
        source: 'single rank or empty message: no communication',
      };
    if (op.kind === 'comm' && op.op === 'p2p') return this.p2p(solMs);
    if (this.mode === 'empirical') return this.empirical(op, solMs, false);
    // Serving engines' perf data never times the small memory-bound kernels (norms, activations,
    // embedding): without an elementwise table, every mode prices them with the memory-bound model.
    if (op.kind === 'elementwise' && !this.handles.has('elementwise'))
      return this.empirical(op, solMs, false);
    if (op.kind === 'comm' && this.crossesNodes(op)) return this.crossNodeComm(op, solMs);
    this.lastMiss = '';
    const found = this.silicon(op, solMs);
    if (found) {
      // The shared lookup paths may run with another SOL (related data); report this op's.
      found.solMs = solMs;
      return found;
    }
    if (this.mode === 'hybrid') return this.empirical(op, solMs, true);
    throw new PerfDataMissingError(
      `no usable perf data for ${describeOp(op)} on ${this.systemName}/${this.backend}/${this.version} ` +
        `(${this.nearestData(op)}); use --database-mode hybrid to estimate it`,
    );
  }

  private nearestData(op: OpQuery): string {
    if (this.lastMiss) return `nearest data: ${this.lastMiss} (over ${MAX_OCTAVES_NOTE})`;
    return tableOfKind(op.kind)
      .map((table) => this.groupList(table))
      .join('; ');
  }

  /** SOL latency of the query itself. */
  sol(op: OpQuery): number {
    const s = this.solModel;
    switch (op.kind) {
      case 'gemm':
        return s.gemm(op.m, op.n, op.k, s.flops(op.dtype), tableDtypeBytes(op.dtype));
      case 'context_attention':
        return s.contextAttention(
          op.batchSize,
          op.isl,
          op.prefix,
          op.numHeads,
          op.numKvHeads || op.numHeads,
          op.headDim,
          op.windowSize,
          s.flops(op.attnDtype),
          tableDtypeBytes(op.attnDtype),
          tableDtypeBytes(op.kvCacheDtype),
        );
      case 'generation_attention':
        return s.generationAttention(
          op.batchSize,
          op.kvLen,
          op.numHeads,
          op.numKvHeads || op.numHeads,
          op.headDim,
          op.windowSize,
          s.flops('bfloat16'),
          tableDtypeBytes(op.kvCacheDtype),
        );
      case 'context_mla':
        return s.contextMla(
          op.batchSize,
          op.isl,
          op.prefix,
          op.numHeads,
          s.flops(op.mlaDtype),
          tableDtypeBytes(op.kvCacheDtype),
        );
      case 'generation_mla':
        return s.generationMla(
          op.batchSize,
          op.kvLen,
          op.numHeads,
          s.flops('bfloat16'),
          tableDtypeBytes(op.kvCacheDtype),
        );
      case 'mla_bmm':
        return s.mlaBmm(op.numTokens, op.numHeads, s.flops(op.dtype), tableDtypeBytes(op.dtype));
      case 'moe':
        return s.moe(
          op.numTokens,
          op.hiddenSize,
          op.interSize,
          op.topk,
          op.numExperts,
          op.moeTp,
          op.moeEp,
          s.flops(op.dtype),
          tableDtypeBytes(op.dtype),
        );
      case 'comm':
        return s.comm(op.op, op.numGpus, op.messageElements * tableDtypeBytes(op.dtype));
      case 'elementwise':
        return s.elementwise(op.op, op.numTokens, op.width, tableDtypeBytes(op.dtype));
    }
  }

  private silicon(op: OpQuery, solMs: number): Lookup | undefined {
    switch (op.kind) {
      case 'gemm':
        return this.gemm(op, solMs);
      case 'context_attention':
        return this.contextAttention(op, solMs);
      case 'generation_attention':
        return this.generationAttention(op, solMs);
      case 'context_mla':
        return this.contextMla(op, solMs);
      case 'generation_mla':
        return this.generationMla(op, solMs);
      case 'mla_bmm':
        return this.mlaBmm(op, solMs);
      case 'moe':
        return this.moe(op, solMs);
      case 'comm':
        return this.comm(op, solMs);
      case 'elementwise':
        return this.elementwise(op, solMs);
    }
  }

  private gemm(
    op: GemmQuery,
    solMs: number,
    handle = this.gemmGroups?.get(op.dtype) ?? this.findGroup('gemm', [op.dtype]),
  ): Lookup | undefined {
    if (!handle) return undefined;
    this.setGemm(op);
    const found = this.lookup(handle, solMs, 1, '');
    if (!found || !op.inputQuantized) return found;
    const quantMs = this.activationQuant(handle.group.values[0]!);
    if (quantMs <= 0) return found;
    found.latencyMs = Math.max(found.latencyMs - quantMs, solMs);
    found.source += `; activation quantised in the norm (-${fmt(quantMs * 1000)} us)`;
    return transformed(found);
  }

  /** Per-call activation quantisation a quantised GEMM group's rows carry (activation-quant.ts). */
  private activationQuant(dtype: string): number {
    let ms = this.activationQuantCache.get(dtype);
    if (ms === undefined) {
      const table = this.indexes.get('gemm')?.table;
      const reference = this.gemmGroups?.has('bfloat16') ? 'bfloat16' : 'float16';
      ms = table ? activationQuantMs(table, dtype, reference, tableDtypeBytes(dtype) / 2) : 0;
      this.activationQuantCache.set(dtype, ms);
    }
    return ms;
  }

  private contextAttention(
    op: ContextAttentionQuery,
    solMs: number,
    relaxDtypes = false,
  ): Lookup | undefined {
    const full = op.isl + op.prefix;
    const window = op.windowSize > 0 && op.windowSize < full ? op.windowSize : 0;
    const attn = relaxDtypes ? '*' : op.attnDtype;
    const kv = relaxDtypes ? '*' : op.kvCacheDtype;
    let handle = this.findGroup('context_attention', [attn, kv, String(window)]);
    let windowScaled = false;
    if (!handle && window > 0) {
      handle = this.findGroup('context_attention', [attn, kv, '0']);
      windowScaled = true;
    }
    if (!handle) return undefined;
    const kvHeads = op.numKvHeads || op.numHeads;
    this.coords[0] = op.headDim;
    this.coords[1] = op.numHeads;
    this.coords[2] = kvHeads;
    this.coords[3] = op.batchSize;
    // The tables have no prefix axis: look up the full length and scale by SOL (see docs).
    this.coords[4] = full;
    let scale = 1;
    const notes: string[] = [];
    if (op.prefix > 0 || windowScaled) {
      const dataSol = handle.sol(this.coords);
      scale = solMs / dataSol;
      if (op.prefix > 0) notes.push(`prefix ${op.prefix}: SOL-scaled from no-prefix isl=${full}`);
      if (windowScaled) notes.push(`window ${window}: SOL-scaled from full-attention rows`);
    }
    return this.lookup(handle, solMs, scale, notes.join('; '));
  }

  private generationAttention(
    op: GenerationAttentionQuery,
    solMs: number,
    relax = false,
  ): Lookup | undefined {
    const window = op.windowSize > 0 && op.windowSize < op.kvLen ? op.windowSize : 0;
    const kv = relax ? '*' : op.kvCacheDtype;
    let handle =
      this.findGroup('generation_attention', ['bfloat16', kv, String(window)]) ??
      this.findGroup('generation_attention', ['*', kv, String(window)]);
    let windowScaled = false;
    if (!handle && window > 0) {
      handle =
        this.findGroup('generation_attention', ['bfloat16', kv, '0']) ??
        this.findGroup('generation_attention', ['*', kv, '0']);
      windowScaled = true;
    }
    if (!handle) return undefined;
    const set = (kvLen: number) => {
      this.coords[0] = op.headDim;
      this.coords[1] = op.numHeads;
      this.coords[2] = op.numKvHeads || op.numHeads;
      this.coords[3] = op.batchSize;
      this.coords[4] = kvLen;
    };
    set(op.kvLen);
    let scale = 1;
    let note = '';
    if (windowScaled) {
      scale = solMs / handle.sol(this.coords);
      note = `window ${window}: SOL-scaled from full-attention rows`;
    }
    const first = this.lookup(handle, solMs, scale, note);
    if (!first || first.provenance === 'measured' || !this.smoothKv) return first;
    // Generation attention is noisy in kv length: average utilisation over [0.9, 1.1] x kv.
    let sumUtilInverse = 0;
    let count = 0;
    for (const f of SMOOTH_FACTORS) {
      const kvLen = Math.max(1, Math.round(op.kvLen * f));
      set(kvLen);
      const v = handle.group.tree.evaluate(this.coords, handle.sol, this.flags);
      if (Number.isNaN(v)) continue;
      sumUtilInverse += v / handle.sol(this.coords);
      count++;
    }
    set(op.kvLen);
    if (count === 0) return first;
    const smoothed = (sumUtilInverse / count) * handle.sol(this.coords) * scale;
    const floor = solMs * handle.floorRatio;
    return {
      ...first,
      latencyMs: Math.max(smoothed, floor),
      source: `${first.source}; smoothed over kv x [0.9, 1.1]`,
    };
  }

  private contextMla(op: ContextMlaQuery, solMs: number, relax = false): Lookup | undefined {
    const handle = this.findGroup('context_mla', relax ? ['*', '*'] : [op.mlaDtype, op.kvCacheDtype]);
    if (!handle) return undefined;
    const full = op.isl + op.prefix;
    this.coords[0] = op.numHeads;
    this.coords[1] = op.batchSize;
    this.coords[2] = full;
    let scale = 1;
    let note = '';
    if (op.prefix > 0) {
      scale = solMs / handle.sol(this.coords);
      note = `prefix ${op.prefix}: SOL-scaled from no-prefix isl=${full}`;
    }
    return this.lookup(handle, solMs, scale, note);
  }

  private generationMla(op: GenerationMlaQuery, solMs: number, relax = false): Lookup | undefined {
    const kv = relax ? '*' : op.kvCacheDtype;
    const handle =
      this.findGroup('generation_mla', ['bfloat16', kv]) ?? this.findGroup('generation_mla', ['*', kv]);
    if (!handle) return undefined;
    this.coords[0] = op.numHeads;
    this.coords[1] = op.batchSize;
    this.coords[2] = op.kvLen;
    return this.lookup(handle, solMs, 1, '');
  }

  private mlaBmm(op: MlaBmmQuery, solMs: number, relax = false): Lookup | undefined {
    const handle = this.findGroup('mla_bmm', [`mla_gen_${op.phase}`, relax ? '*' : op.dtype]);
    if (!handle) return undefined;
    this.coords[0] = op.numHeads;
    this.coords[1] = op.numTokens;
    return this.lookup(handle, solMs, 1, '');
  }

  private moe(op: MoeQuery, solMs: number, relax = false): Lookup | undefined {
    if (op.distribution === 'random') {
      return (
        (relax ? undefined : this.moeMeasuredRandom(op, solMs)) ?? this.moeRandomRouting(op, solMs, relax)
      );
    }
    if (relax) return this.moeAnyDtype(op, solMs);
    const dtype = op.dtype;
    let handle = this.findGroup('moe', [dtype, op.distribution]);
    let note = '';
    if (!handle) {
      // Nearest distribution by skew (balanced < power_law_1.01 < power_law_1.2). Random rows answer
      // random routing only: they start where each expert expects a few picks, and balanced
      // lookups (random routing's own pricing among them) must not land on them.
      const wanted = skewRank(op.distribution);
      const order = MOE_DISTRIBUTIONS.filter((d) => d !== 'random').sort(
        (a, b) => Math.abs(skewRank(a) - wanted) - Math.abs(skewRank(b) - wanted),
      );
      for (const d of order) {
        handle = this.findGroup('moe', [dtype, d]);
        if (handle) {
          note = `distribution ${op.distribution} not collected: used ${d}`;
          break;
        }
      }
    }
    if (!handle) return undefined;
    this.setMoe(op);
    const found = this.lookup(handle, solMs, 1, note);
    const tree = handle.group.tree;
    const heldAxis =
      tree.traceKind[MOE_TP_AXIS]! >= 2 ? 'tp' : tree.traceKind[MOE_EP_AXIS]! >= 2 ? 'ep' : undefined;
    if (heldAxis) {
      const split = this.moeSameSplit(handle, op, heldAxis, solMs, note);
      if (split) return split;
    }
    return note ? transformed(found) : found;
  }

  /**
   * A layout the group lacks along one axis (moe_tp n without moe_tp n collected) priced at the
   * utilisation of the same split of the other kind (moe_ep n), where this table's own shapes say
   * that carries better than holding the nearest collected value (moe-split-rule.ts).
   */
  private moeSameSplit(
    handle: Handle,
    op: MoeQuery,
    axis: SplitAxis,
    solMs: number,
    note: string,
  ): Lookup | undefined {
    const gpus = op.moeTp * op.moeEp;
    if ((axis === 'tp' ? op.moeEp : op.moeTp) !== 1) return undefined;
    if (!prefersSameSplit(this.moeSplits(), axis, gpus)) return undefined;
    const other: MoeQuery =
      axis === 'tp' ? { ...op, moeTp: 1, moeEp: gpus } : { ...op, moeTp: gpus, moeEp: 1 };
    const otherSol = this.sol(other);
    this.setMoe(other);
    const borrowed = this.lookup(handle, otherSol, 1, '');
    const tree = handle.group.tree;
    const usable =
      borrowed !== undefined &&
      tree.traceKind[MOE_TP_AXIS]! < 2 &&
      tree.traceKind[MOE_EP_AXIS]! < 2 &&
      otherSol > 0;
    // Leave the group's SOL at this query's coords for related-data borrowing.
    this.setMoe(op);
    const here = this.lookup(handle, solMs, 1, note);
    if (!usable || !here) return undefined;
    here.latencyMs = Math.max((solMs * borrowed.latencyMs) / otherSol, solMs * handle.floorRatio);
    here.provenance = 'interpolated';
    here.source += `; utilisation of moe_tp=${other.moeTp} moe_ep=${other.moeEp} (the same split)`;
    return here;
  }

  /**
   * Independent uniform routing read from rows collected under it (the torch backend collects
   * them where each expert expects a few picks: randomRoutingRowsApply), when they hold this exact
   * expert layout and the token count is at or above their first row (held at the top row's
   * utilisation above the last). Otherwise undefined: the balanced rows price it
   * (moeRandomRouting). Exact layouts only: a bracket's other branch may itself be held.
   */
  private moeMeasuredRandom(op: MoeQuery, solMs: number): Lookup | undefined {
    if (!randomRoutingRowsApply(op.numTokens, op.topk, op.numExperts)) return undefined;
    const handle = this.findGroup('moe', [op.dtype, 'random']);
    if (!handle) return undefined;
    this.setMoe(op);
    const found = this.lookup(handle, solMs, 1, '');
    const tree = handle.group.tree;
    const tokens = tree.axes.length - 1;
    for (let i = 0; i < tokens; i++) if (tree.traceKind[i]! !== 0) return undefined;
    const tokenKind = tree.traceKind[tokens]!;
    if (tokenKind === 3 || (tokenKind === 2 && this.coords[tokens]! < tree.traceLo[tokens]!))
      return undefined;
    return found;
  }

  /**
   * Independent uniform routing priced from the balanced rows. Balanced rows send T tokens' T k
   * picks round-robin, touching min(E, T k) experts; independent picks touch
   * D = E (1 - (1 - k / E)^T). Below T k = E the op costs what the balanced rows cost at D / k
   * tokens (same experts touched, its compute negligible at these sizes); above, the balanced
   * rows' weight-bound plateau (their cost at E / k tokens) shrinks by the share of experts left
   * untouched, and the compute growth beyond it stays.
   */
  private moeRandomRouting(op: MoeQuery, solMs: number, relax: boolean): Lookup | undefined {
    const experts = op.numExperts;
    const k = Math.min(op.topk, experts);
    const touched = experts * (1 - (1 - k / experts) ** op.numTokens);
    const balancedAt = (numTokens: number) =>
      this.moe({ ...op, numTokens, distribution: 'balanced' }, solMs, relax);
    if (op.numTokens * k <= experts) return transformed(balancedAt(Math.max(1, touched / k)));
    const plateau = balancedAt(experts / k);
    // Looked up last: the related-op path reads the group's SOL at the coords this leaves.
    const here = balancedAt(op.numTokens);
    if (!plateau || !here) return here;
    const untouched = plateau.latencyMs * (1 - touched / experts);
    here.latencyMs = Math.max(here.latencyMs, plateau.latencyMs) - untouched;
    return transformed(here);
  }

  /**
   * The op looked up in the MoE group, of any dtype, whose data covers its shape best: the fewest
   * octaves between the query and the measured range on the axes held outside it, then the same
   * bytes per weight, then the nearest routing skew. Utilisation held far from the data (e.g. from
   * moe_tp 2 to 8, a quarter of the work per GPU) misleads more than another kernel family does.
   */
  private moeAnyDtype(op: MoeQuery, solMs: number): Lookup | undefined {
    // The choice depends on the expert layout, not the token count: chosen once per layout.
    const layout = `${op.dtype}|${op.distribution}|${op.numExperts}|${op.topk}|${op.hiddenSize}|${op.interSize}|${op.moeTp}|${op.moeEp}`;
    const chosen = this.moeLender.get(layout);
    if (chosen) {
      this.setMoe(op);
      return this.lookup(chosen, solMs, 1, '');
    }
    const groups = [...(this.handles.get('moe')?.values() ?? [])];
    const wantedSkew = skewRank(op.distribution);
    const wantedBytes = tableDtypeBytes(op.dtype);
    let best: { handle: Handle; score: number[] } | undefined;
    for (const handle of groups) {
      const [dtype, distribution] = handle.group.values as [string, MoeQuery['distribution']];
      this.setMoe(op);
      const found = this.lookup(handle, solMs, 1, '');
      if (!found) continue;
      // Octaves between the query and the nearest measured value, summed over held axes.
      const tree = handle.group.tree;
      let heldOctaves = 0;
      for (let i = 0; i < tree.axes.length; i++) {
        if (tree.traceKind[i] === 2) heldOctaves += Math.abs(Math.log2(this.coords[i]! / tree.traceLo[i]!));
      }
      const score = [
        heldOctaves,
        tableDtypeBytes(dtype) === wantedBytes ? 0 : 1,
        Math.abs(skewRank(distribution) - wantedSkew),
      ];
      if (!best || lexicallyLess(score, best.score)) best = { handle, score };
    }
    if (!best) return undefined;
    this.moeLender.set(layout, best.handle);
    // Look up the chosen group last: related() reads its SOL at the coords the lookup leaves.
    this.setMoe(op);
    return this.lookup(best.handle, solMs, 1, '');
  }

  private setMoe(op: MoeQuery): void {
    const c = this.coords;
    c[0] = op.numExperts;
    c[1] = op.topk;
    c[2] = op.hiddenSize;
    c[3] = op.interSize;
    c[4] = op.moeTp;
    c[5] = op.moeEp;
    c[6] = op.numTokens;
  }

  private comm(op: CommQuery, solMs: number): Lookup | undefined {
    const bytes = op.messageElements * tableDtypeBytes(op.dtype);
    if (op.op === 'all_reduce' && op.numGpus <= this.solModel.gpusPerLinkDomain) {
      // Serving engines all-reduce TP activations with their own kernel, captured in CUDA graphs.
      const groups = this.handles.get('custom_allreduce');
      if (groups && groups.size > 0) {
        const handles = [...groups.values()];
        const handle = handles.find((h) => /graph/i.test(h.group.values[0]!)) ?? handles[0]!;
        this.coords[0] = op.numGpus;
        this.coords[1] = bytes / 2;
        const found = this.lookup(
          handle,
          solMs,
          1,
          bytes === op.messageElements * 2 ? '' : 'message converted to bf16 elements',
        );
        if (found) return found;
      }
    }
    const nccl = this.handles.get('nccl');
    if (!nccl) return undefined;
    let handle = this.findGroup('nccl', [op.op, op.dtype]);
    if (!handle) {
      // Same op, any dtype: the message is what matters, converted to that dtype's elements.
      const same = [...nccl.values()].filter((h) => h.group.values[0] === op.op);
      handle = same.find((h) => tableDtypeBytes(h.group.values[1]!) === tableDtypeBytes(op.dtype)) ?? same[0];
    }
    if (!handle) return undefined;
    const groupBytes = tableDtypeBytes(handle.group.values[1]!);
    this.coords[0] = op.numGpus;
    this.coords[1] = bytes / groupBytes;
    const note = handle.group.values[1] === op.dtype ? '' : `message as ${handle.group.values[1]} elements`;
    return this.lookup(handle, solMs, 1, note);
  }

  private crossesNodes(op: CommQuery): boolean {
    return op.numGpus > this.solModel.gpusPerLinkDomain;
  }

  /**
   * A collective over more GPUs than one NVLink domain holds: tables stop at one node. Take the
   * table's latency at a full node, add the extra transfer time of the wider group (whose
   * bottleneck is the inter-node link) and two inter-node hops of latency.
   */
  private crossNodeComm(op: CommQuery, solMs: number): OpLatency {
    const perNode = this.solModel.gpusPerLinkDomain;
    const inNode: CommQuery = { ...op, numGpus: perNode };
    const inNodeSol = this.sol(inNode);
    this.lastMiss = '';
    const found = this.comm(inNode, inNodeSol);
    const hopsMs = 2 * this.system.node.p2p_latency_s * 1e3;
    if (!found) {
      if (this.mode === 'hybrid') return this.empirical(op, solMs, true);
      throw new PerfDataMissingError(
        `no usable perf data for ${describeOp(inNode)} on ${this.systemName}/${this.backend}/${this.version}, ` +
          `needed to extrapolate ${op.op} over ${op.numGpus} GPUs; use --database-mode hybrid to estimate it`,
      );
    }
    // The slower link adds its extra transfer time at the legacy comm efficiency; small messages
    // are latency-bound and mostly pay the hops.
    const extraMs = Math.max(0, solMs - inNodeSol) / LEGACY_EFFICIENCY.comm;
    return {
      latencyMs: found.latencyMs + extraMs + hopsMs,
      solMs,
      provenance: 'extrapolated',
      source: `${found.source} at ${perNode} GPUs + ${fmt(extraMs * 1e3)} us over the inter-node link + 2 hops`,
    };
  }

  private elementwise(op: ElementwiseQuery, solMs: number, relax = false): Lookup | undefined {
    const handle = this.findGroup('elementwise', [op.op, relax ? '*' : op.dtype]);
    if (!handle) return undefined;
    this.coords[0] = op.width;
    this.coords[1] = op.numTokens;
    return this.lookup(handle, solMs, 1, '');
  }

  private p2p(solMs: number): OpLatency {
    const latencyMs = this.system.node.p2p_latency_s * 1e3 + solMs;
    return {
      latencyMs,
      solMs,
      provenance: 'empirical',
      source: `p2p model: ${fmt(this.system.node.p2p_latency_s * 1e6)} us latency + bytes / link bandwidth`,
    };
  }

  /**
   * Estimate without matching data: borrow utilisation from related data (same op, other dtypes)
   * when `borrow` is set and such data exists, else the legacy fixed efficiency.
   */
  private empirical(op: OpQuery, solMs: number, borrow: boolean): OpLatency {
    if (borrow) {
      const related = this.related(op);
      if (related && related.found.latencyMs > 0 && related.sol > 0) {
        // Utilisation of the related op at the same shape, applied to this op's SOL.
        const latencyMs = Math.max(solMs, (related.found.latencyMs / related.sol) * solMs);
        return {
          latencyMs,
          solMs,
          provenance: 'empirical',
          source: `utilisation borrowed from ${related.found.source}`,
        };
      }
    }
    if (op.kind === 'elementwise') {
      const latencyMs = solMs / 0.8 + 0.003;
      return {
        latencyMs,
        solMs,
        provenance: 'empirical',
        source: 'memory-bound model: bytes / (0.8 x bandwidth) + 3 us',
      };
    }
    const efficiency = LEGACY_EFFICIENCY[op.kind];
    return {
      latencyMs: solMs / efficiency,
      solMs,
      provenance: 'empirical',
      source: `legacy fixed efficiency ${efficiency} of SOL`,
    };
  }

  /** Look the op up ignoring dtypes (any group of its table); records that group's SOL. */
  private related(op: OpQuery): { found: Lookup; sol: number } | undefined {
    let found: Lookup | undefined;
    this.lastHandle = undefined;
    switch (op.kind) {
      case 'gemm': {
        const groups = [...(this.handles.get('gemm')?.values() ?? [])];
        const handle =
          groups.find((h) => tableDtypeBytes(h.group.values[0]!) === tableDtypeBytes(op.dtype)) ?? groups[0];
        if (handle) {
          found = this.gemm(op, handle.sol(this.setGemm(op)), handle);
        }
        break;
      }
      case 'context_attention':
        found = this.contextAttention({ ...op, prefix: 0, windowSize: 0 }, 0, true);
        break;
      case 'generation_attention':
        found = this.generationAttention({ ...op, windowSize: 0 }, 0, true);
        break;
      case 'context_mla':
        found = this.contextMla({ ...op, prefix: 0 }, 0, true);
        break;
      case 'generation_mla':
        found = this.generationMla(op, 0, true);
        break;
      case 'mla_bmm':
        found = this.mlaBmm(op, 0, true);
        break;
      case 'moe':
        found = this.moe(op, 0, true);
        break;
      case 'elementwise':
        found = this.elementwise(op, 0, true);
        break;
      case 'comm':
        found = undefined;
        break;
    }
    // The lookup left this.coords at the related point; its group's SOL there is the reference.
    // (TypeScript keeps the `undefined` narrowing across the calls above; the lookups did set it.)
    const handle = this.lastHandle as Handle | undefined;
    return found && handle ? { found, sol: handle.sol(this.coords) } : undefined;
  }

  private setGemm(op: GemmQuery): Float64Array {
    this.coords[0] = op.n;
    this.coords[1] = op.k;
    this.coords[2] = op.m;
    return this.coords;
  }
}

/** Routing skew order: balanced < random (independent uniform picks) < power_law_1.01 < power_law_1.2. */
const SKEW_RANK: Readonly<Record<MoeRouting, number>> = {
  balanced: 0,
  random: 0.5,
  'power_law_1.01': 1,
  'power_law_1.2': 2,
};
function skewRank(d: MoeRouting): number {
  return SKEW_RANK[d];
}

/** A lookup whose latency was derived from rows at other points is no longer a measurement. */
function transformed(found: Lookup | undefined): Lookup | undefined {
  if (found && found.provenance === 'measured') found.provenance = 'interpolated';
  return found;
}

function lexicallyLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

const SMOOTH_FACTORS = [0.9, 0.95, 1, 1.05, 1.1] as const;
const MAX_OCTAVES_NOTE = 'the 2-octave limit for borrowing from another GEMM site';

/** One-line description of an op for messages: kind and shape. */
export function describeOp(op: OpQuery): string {
  const { kind, ...shape } = op;
  const fields = Object.entries(shape)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${kind} (${fields})`;
}

/** Kinds to table names (for listing and `db query`). */
export function tableOfKind(kind: OpKind): TableName[] {
  return kind === 'comm' ? ['nccl', 'custom_allreduce'] : [TABLE_OF_KIND[kind]];
}
