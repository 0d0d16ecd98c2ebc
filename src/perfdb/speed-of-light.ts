// Speed-of-light (SOL) latency per op on one system (modeling-notes section 3): the time the op
// would take at peak tensor FLOP/s or peak memory bandwidth, whichever binds. Milliseconds.
import { BYTES_PER_ELEMENT, type Dtype, isDtype } from '../common/index.js';
import { type SystemSpec, tensorFlopsPerS } from '../hardware/index.js';
import type { CommOp, ElementwiseOp } from './op-query.js';

/** Bytes per element of a dtype as spelled in perf tables (aliases and quantised formats included). */
export function tableDtypeBytes(name: string): number {
  let bytes = bytesCache.get(name);
  if (bytes === undefined) {
    bytes = dtypeBytesUncached(name);
    bytesCache.set(name, bytes);
  }
  return bytes;
}

const bytesCache = new Map<string, number>();

function dtypeBytesUncached(name: string): number {
  const canonical = canonicalDtype(name);
  if (canonical) return BYTES_PER_ELEMENT[canonical];
  if (/fp4|int4|w4/.test(name)) return 0.5;
  if (/fp8|int8/.test(name)) return 1;
  if (/32/.test(name)) return 4;
  return 2;
}

const ALIASES: Readonly<Record<string, Dtype>> = {
  half: 'float16',
  fp16: 'float16',
  bf16: 'bfloat16',
  float: 'float32',
  fp32: 'float32',
  w4a16_mxfp4: 'mxfp4',
};

/** A table's dtype spelling as one of our dtypes, when it maps to one. */
export function canonicalDtype(name: string): Dtype | undefined {
  if (isDtype(name)) return name;
  return ALIASES[name];
}

/** Per-system constants the formulas need, resolved once. */
export class SolModel {
  readonly memBytesPerS: number;
  /** GPUs one NVLink domain joins (a node, unless the system spans nodes with NVLink). */
  readonly gpusPerLinkDomain: number;
  private readonly flopsCache = new Map<string, number>();

  constructor(readonly system: SystemSpec) {
    this.memBytesPerS = system.gpu.mem_bandwidth_bytes_per_s;
    this.gpusPerLinkDomain = system.node.gpus_per_nvlink_domain ?? system.node.gpus_per_node;
  }

  /** Tensor FLOP/s for a compute dtype spelled as in a table (unknown spellings use bf16). */
  flops(dtype: string): number {
    let f = this.flopsCache.get(dtype);
    if (f === undefined) {
      f = tensorFlopsPerS(this.system, canonicalDtype(dtype) ?? 'bfloat16');
      this.flopsCache.set(dtype, f);
    }
    return f;
  }

  /** Whether the last formula evaluated was bound by math rather than memory (or links). */
  lastComputeBound = false;

  private bound(flops: number, flopsPerS: number, bytes: number): number {
    const mathS = flops / flopsPerS;
    const memoryS = bytes / this.memBytesPerS;
    this.lastComputeBound = mathS >= memoryS;
    return Math.max(mathS, memoryS) * 1e3;
  }

  gemm(m: number, n: number, k: number, flopsPerS: number, bytesPerEl: number): number {
    return this.bound(2 * m * n * k, flopsPerS, bytesPerEl * (m * k + n * k + m * n));
  }

  /** Causal prefill of `s` new tokens after `prefix` cached ones; window 0 = full attention. */
  contextAttention(
    b: number,
    s: number,
    prefix: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    window: number,
    flopsPerS: number,
    qBytes: number,
    kvBytes: number,
  ): number {
    const full = s + prefix;
    const flops =
      window > 0 && window < full
        ? 4 * b * s * window * heads * headDim
        : 2 * b * (full * full - prefix * prefix) * heads * headDim;
    const bytes = b * (2 * heads * s * headDim * qBytes + 2 * kvHeads * full * headDim * kvBytes);
    return this.bound(flops, flopsPerS, bytes);
  }

  generationAttention(
    b: number,
    kvLen: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    window: number,
    flopsPerS: number,
    kvBytes: number,
  ): number {
    const kv = window > 0 ? Math.min(kvLen, window) : kvLen;
    const flops = 4 * b * heads * headDim * kv;
    const bytes = b * (4 * heads * headDim + 2 * kvHeads * kv * headDim * kvBytes);
    return this.bound(flops, flopsPerS, bytes);
  }

  /** DeepSeek MLA prefill (kv_lora 512 + rope 64); heads per GPU. */
  contextMla(
    b: number,
    s: number,
    prefix: number,
    heads: number,
    flopsPerS: number,
    kvBytes: number,
  ): number {
    const full = s + prefix;
    const flops = b * heads * 320 * (full * full - prefix * prefix);
    const bytes = b * (s * heads * (192 + 128) * 2 * 2 + full * 576 * kvBytes);
    return this.bound(flops, flopsPerS, bytes);
  }

  generationMla(b: number, kvLen: number, heads: number, flopsPerS: number, kvBytes: number): number {
    const flops = 2 * b * heads * 1088 * kvLen;
    const bytes = b * (2 * heads * 1088 + Math.max(kvLen - 1, 0) * 576 * kvBytes);
    return this.bound(flops, flopsPerS, bytes);
  }

  /** The absorbed q_nope / output batched matmuls: per token and head a 128 x 512 product. */
  mlaBmm(tokens: number, heads: number, flopsPerS: number, bytesPerEl: number): number {
    const flops = 2 * tokens * heads * 128 * 512;
    const bytes = heads * 128 * 512 * bytesPerEl + tokens * heads * (128 + 512) * 2;
    return this.bound(flops, flopsPerS, bytes);
  }

  moe(
    tokens: number,
    hidden: number,
    inter: number,
    topk: number,
    experts: number,
    tp: number,
    ep: number,
    flopsPerS: number,
    weightBytes: number,
  ): number {
    // Routed tokens land on this rank's experts in proportion 1 / ep, and T k routed tokens touch
    // E (1 - (1 - 1/E)^(T k)) distinct experts when routing is uniform. The notes' bytes term
    // (min(E / ep, T k) experts) put real tables 5-15x "faster than SOL" (docs/perf-database.md).
    const routed = (tokens * topk) / ep;
    const flops = (6 * routed * hidden * inter) / tp;
    const activationBytes = 2 * (3 * routed * hidden + (3 * routed * inter) / tp);
    const touched = (experts / ep) * (1 - (1 - 1 / experts) ** (tokens * topk));
    const weightTouched = ((3 * hidden * inter) / tp) * touched * weightBytes;
    return this.bound(flops, flopsPerS, activationBytes + weightTouched);
  }

  /** Link bandwidth for a collective over `gpus` ranks: NVLink inside a node, the NIC beyond. */
  linkBytesPerS(gpus: number): number {
    return gpus <= this.gpusPerLinkDomain
      ? this.system.node.intra_node_bandwidth_bytes_per_s
      : this.system.node.inter_node_bandwidth_bytes_per_s;
  }

  comm(op: CommOp, gpus: number, bytes: number): number {
    this.lastComputeBound = false;
    if (op === 'p2p') return (bytes / this.linkBytesPerS(gpus)) * 1e3;
    if (gpus <= 1) return 0;
    const factor = op === 'all_reduce' ? 2 : 1;
    return ((factor * bytes * (gpus - 1)) / gpus / this.linkBytesPerS(gpus)) * 1e3;
  }

  elementwise(op: ElementwiseOp, tokens: number, width: number, bytesPerEl: number): number {
    this.lastComputeBound = false;
    return ((elementwiseTraffic(op) * tokens * width * bytesPerEl) / this.memBytesPerS) * 1e3;
  }
}

/** Elements moved per token-width element: reads plus writes. */
export function elementwiseTraffic(op: ElementwiseOp): number {
  return op === 'add' || op === 'silu_mul' ? 3 : 2;
}
