import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { PerfDataMissingError } from '../../src/common/index.js';
import { SystemRegistry } from '../../src/hardware/index.js';
import { parquetLatencyFloorMs } from '../../src/perfdb/file-loaders.js';
import { lendHostBoundTables } from '../../src/perfdb/host-bound-tables.js';
import {
  loadTableIndex,
  type MoeQuery,
  type OpQuery,
  openPerfDatabase,
  scanPerfDataDir,
  type TableDatabase,
  type TableFileRef,
} from '../../src/perfdb/index.js';
import {
  GEMM_M,
  GEMM_NK,
  gemmLatencyMs,
  gemmRows,
  moeRows,
  tempDir,
  writeCsv,
  writeLegacyCsvTree,
  writeParquet,
} from './perf-fixtures.js';

const h200 = new SystemRegistry().get('h200_sxm');

/** A MoE query of the 128-expert top-8 layout (hidden 4096) with the given fields replaced. */
function moeQuery(fields: Partial<MoeQuery>): MoeQuery {
  return {
    kind: 'moe',
    dtype: 'bfloat16',
    numTokens: 512,
    hiddenSize: 4096,
    interSize: 1536,
    topk: 8,
    numExperts: 128,
    moeTp: 1,
    moeEp: 1,
    distribution: 'balanced',
    ...fields,
  };
}

describe('interpolation, SOL and database modes', () => {
  let dir: string;
  let silicon: TableDatabase;
  let hybrid: TableDatabase;
  beforeAll(async () => {
    dir = tempDir();
    writeLegacyCsvTree(dir);
    silicon = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.9.0',
      perfDataDir: dir,
      mode: 'silicon',
    });
    hybrid = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.9.0',
      perfDataDir: dir,
      mode: 'hybrid',
    });
  });

  it('returns the measured value at every data point', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GEMM_M),
        fc.constantFrom(...GEMM_NK),
        fc.constantFrom(...GEMM_NK),
        fc.constantFrom('bfloat16' as const, 'fp8' as const),
        (m, n, k, dtype) => {
          const r = silicon.query({ kind: 'gemm', dtype, m, n, k });
          expect(r.provenance).toBe('measured');
          expect(r.latencyMs).toBe(gemmLatencyMs(m, n, k, dtype === 'fp8' ? 1 : 2));
        },
      ),
    );
  });

  it('is monotone in m where the data is, and stays between the bracketing points', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom(...GEMM_NK),
        fc.integer({ min: 1024, max: 8192 }),
        (a, b, n, k) => {
          const [m1, m2] = a <= b ? [a, b] : [b, a];
          const q = (m: number) => silicon.query({ kind: 'gemm', dtype: 'bfloat16', m, n, k }).latencyMs;
          expect(q(m1)).toBeLessThanOrEqual(q(m2) * (1 + 1e-12));
        },
      ),
    );
  });

  it('is monotone along the context sequence (monotone cubic in log-log space)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 128, max: 4096 }),
        fc.integer({ min: 128, max: 4096 }),
        fc.integer({ min: 1, max: 8 }),
        (a, b, batch) => {
          const q = (isl: number) =>
            silicon.query({
              kind: 'context_attention',
              batchSize: batch,
              isl,
              prefix: 0,
              numHeads: 16,
              numKvHeads: 8,
              headDim: 128,
              windowSize: 0,
              attnDtype: 'bfloat16',
              kvCacheDtype: 'bfloat16',
            }).latencyMs;
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(q(lo)).toBeLessThanOrEqual(q(hi) * (1 + 1e-12));
        },
      ),
    );
  });

  it('is close to the generating law between data points', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1024, max: 8192 }), (m, n) => {
        const r = silicon.query({ kind: 'gemm', dtype: 'bfloat16', m, n, k: 4096 });
        expect(Math.abs(r.latencyMs / gemmLatencyMs(m, n, 4096) - 1)).toBeLessThan(0.25);
      }),
    );
  });

  it('never returns less than SOL when the data is above SOL', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1 << 17 }),
        fc.integer({ min: 256, max: 32768 }),
        fc.integer({ min: 256, max: 32768 }),
        (m, n, k) => {
          const q: OpQuery = { kind: 'gemm', dtype: 'bfloat16', m, n, k };
          const r = hybrid.query(q);
          expect(r.latencyMs).toBeGreaterThanOrEqual(r.solMs * (1 - 1e-12));
        },
      ),
    );
  });

  it('follows data that is below SOL, but not further', async () => {
    const root = tempDir();
    // Data at a quarter of SOL: a faster-than-physics table the database must not "correct".
    const rows = gemmRows('vllm', '1.0.0', ['bfloat16']).map((r) => ({
      ...r,
      latency:
        (Math.max(
          (2 * +r['m']! * +r['n']! * +r['k']!) / 989e12,
          (2 * (+r['m']! * +r['k']! + +r['n']! * +r['k']! + +r['m']! * +r['n']!)) / 4.8e12,
        ) *
          1e3) /
        4,
    }));
    writeCsv(join(root, 'h200_sxm', 'vllm', '1.0.0', 'gemm_perf.txt'), rows);
    const db = await openPerfDatabase({ system: h200, backend: 'vllm', perfDataDir: root, mode: 'silicon' });
    const r = db.query({ kind: 'gemm', dtype: 'bfloat16', m: 300, n: 3000, k: 3000 });
    expect(r.latencyMs).toBeLessThan(r.solMs);
    expect(r.latencyMs).toBeGreaterThanOrEqual(r.solMs / 4 - 1e-12);
  });

  it('extrapolates outside the data by holding utilisation, also in silicon mode', () => {
    const r = silicon.query({ kind: 'gemm', dtype: 'bfloat16', m: 16384, n: 4096, k: 4096 });
    expect(r.provenance).toBe('extrapolated');
    expect(r.source).toContain('m util-hold from 4096');
    expect(r.latencyMs).toBeGreaterThan(
      silicon.query({ kind: 'gemm', dtype: 'bfloat16', m: 4096, n: 4096, k: 4096 }).latencyMs * 3,
    );
  });

  it('says what it bracketed', () => {
    const r = silicon.query({ kind: 'gemm', dtype: 'bfloat16', m: 100, n: 4096, k: 4096 });
    expect(r.provenance).toBe('interpolated');
    expect(r.source).toBe('gemm[bfloat16] n=4096 k=4096 m in [64,128]');
  });

  it('refuses a GEMM site more than two octaves from the data in silicon mode, estimates it in hybrid', () => {
    const q: OpQuery = { kind: 'gemm', dtype: 'bfloat16', m: 64, n: 65536, k: 4096 };
    expect(() => silicon.query(q)).toThrow(PerfDataMissingError);
    expect(() => silicon.query(q)).toThrow(
      /gemm \(dtype=bfloat16, m=64, n=65536, k=4096\).*--database-mode hybrid/,
    );
    const r = hybrid.query(q);
    expect(r.provenance).toBe('empirical');
  });

  it('raises PerfDataMissingError for an op kind without a table, naming the data', () => {
    const q = moeQuery({ numTokens: 16 });
    expect(() => silicon.query(q)).toThrow(
      /no usable perf data for moe .* on h200_sxm\/vllm\/0.9.0 \(no moe table\)/,
    );
    const r = hybrid.query(q);
    expect(r).toMatchObject({ provenance: 'empirical' });
    expect(r.latencyMs).toBeCloseTo(r.solMs / 0.4, 12);
  });

  it('borrows utilisation from another dtype in hybrid mode', () => {
    const r = hybrid.query({ kind: 'gemm', dtype: 'nvfp4', m: 128, n: 4096, k: 4096 });
    expect(r.provenance).toBe('empirical');
    expect(r.source).toMatch(/^utilisation borrowed from gemm\[bfloat16\] n=4096 k=4096 m=128/);
    const related = silicon.query({ kind: 'gemm', dtype: 'bfloat16', m: 128, n: 4096, k: 4096 });
    expect(r.latencyMs).toBeCloseTo(Math.max(r.solMs, (r.solMs * related.latencyMs) / related.solMs), 12);
  });

  it('uses fixed efficiencies in empirical mode and SOL in sol mode', async () => {
    const empirical = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      perfDataDir: dir,
      mode: 'empirical',
    });
    const sol = await openPerfDatabase({ system: h200, backend: 'vllm', perfDataDir: dir, mode: 'sol' });
    const q: OpQuery = { kind: 'gemm', dtype: 'bfloat16', m: 128, n: 4096, k: 4096 };
    const e = empirical.query(q);
    expect(e.latencyMs).toBeCloseTo(e.solMs / 0.8, 12);
    const s = sol.query(q);
    expect(s).toMatchObject({ provenance: 'sol', latencyMs: s.solMs });
    // GEMM SOL: max(2mnk / F, bytes / B).
    expect(s.solMs).toBeCloseTo(
      Math.max((2 * 128 * 4096 * 4096) / 989e12, (2 * (128 * 4096 * 2 + 4096 * 4096)) / 4.8e12) * 1e3,
      12,
    );
  });

  it('scales context attention with a prefix from the no-prefix data by SOL', () => {
    const base = {
      kind: 'context_attention' as const,
      batchSize: 2,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128,
      windowSize: 0,
      attnDtype: 'bfloat16' as const,
      kvCacheDtype: 'bfloat16' as const,
    };
    const full = silicon.query({ ...base, isl: 2048, prefix: 0 });
    const withPrefix = silicon.query({ ...base, isl: 1024, prefix: 1024 });
    expect(withPrefix.source).toContain('prefix 1024: SOL-scaled');
    expect(withPrefix.latencyMs).toBeCloseTo((full.latencyMs * withPrefix.solMs) / full.solMs, 9);
    expect(withPrefix.latencyMs).toBeLessThan(full.latencyMs);
    const windowed = silicon.query({ ...base, isl: 4096, prefix: 0, windowSize: 256 });
    expect(windowed.source).toContain('window 256: SOL-scaled from full-attention rows');
    expect(windowed.latencyMs).toBeLessThan(silicon.query({ ...base, isl: 4096, prefix: 0 }).latencyMs);
  });

  it('smooths generation attention between kv points and reads comm from nccl or the p2p model', () => {
    const g = silicon.query({
      kind: 'generation_attention',
      batchSize: 4,
      kvLen: 1000,
      numHeads: 32,
      numKvHeads: 8,
      headDim: 128,
      windowSize: 0,
      kvCacheDtype: 'bfloat16',
    });
    expect(g.provenance).toBe('interpolated');
    expect(g.source).toContain('smoothed over kv');
    const ar = silicon.query({
      kind: 'comm',
      op: 'all_reduce',
      dtype: 'bfloat16',
      numGpus: 8,
      messageElements: 4096,
    });
    expect(ar.source).toMatch(/^nccl\[all_reduce,half\] num_gpus=8 message_size=4096/);
    expect(ar.provenance).toBe('measured');
    const p2p = silicon.query({
      kind: 'comm',
      op: 'p2p',
      dtype: 'bfloat16',
      numGpus: 2,
      messageElements: 1e6,
    });
    expect(p2p.latencyMs).toBeCloseTo(0.01 + (2e6 / 450e9) * 1e3, 12);
    // A hop between two 8-GPU nodes (its link spans 16 GPUs) moves the bytes at the inter-node rate.
    const crossNode = silicon.query({
      kind: 'comm',
      op: 'p2p',
      dtype: 'bfloat16',
      numGpus: 16,
      messageElements: 1e6,
    });
    expect(crossNode.latencyMs).toBeCloseTo(0.01 + (2e6 / 50e9) * 1e3, 12);
    expect(
      silicon.query({ kind: 'comm', op: 'all_reduce', dtype: 'bfloat16', numGpus: 1, messageElements: 10 })
        .latencyMs,
    ).toBe(0);
  });
});

describe('MoE, custom all-reduce and elementwise tables', () => {
  let db: TableDatabase;
  let hybrid: TableDatabase;
  beforeAll(async () => {
    const root = tempDir();
    const base = join(root, 'h200_sxm', 'sglang', '0.5.0');
    const prefix = { framework: 'SGLang', version: '0.5.0', device: 'NVIDIA H200' };
    const moe = moeRows(
      [1, 8, 64, 512],
      {
        moe_dtype: 'bfloat16',
        hidden_size: 4096,
        inter_size: 1536,
        topk: 8,
        num_experts: 128,
        distribution: 'power_law_1.01',
      },
      (t) => 0.05 + t * 0.001,
    );
    // TensorRT-LLM / vLLM spell GPT-OSS's MXFP4 experts 'w4a16_mxfp4'.
    const mxfp4 = moeRows(
      [1, 64],
      {
        moe_dtype: 'w4a16_mxfp4',
        hidden_size: 2880,
        inter_size: 2880,
        topk: 4,
        num_experts: 128,
        distribution: 'power_law_1.01',
      },
      (t) => 0.03 + t * 0.0005,
    );
    writeCsv(join(base, 'moe_perf.txt'), [...moe, ...mxfp4]);
    const ar = [2, 4, 8].flatMap((g) =>
      [1024, 65536, 4194304].flatMap((size) =>
        ['graph', 'eager'].map((kind) => ({
          ...prefix,
          op_name: 'all_reduce',
          kernel_source: `custom_${kind}`,
          allreduce_dtype: 'bfloat16',
          num_gpus: g,
          message_size: size,
          latency: (kind === 'graph' ? 0.005 : 0.02) + size * 1e-8,
          backend: `sglang_${kind}`,
        })),
      ),
    );
    writeCsv(join(base, 'custom_allreduce_perf.txt'), ar);
    const ew = [1, 16, 256, 4096].map((t) => ({
      ...prefix,
      op_name: 'rms_norm',
      kernel_source: 'torch',
      elementwise_dtype: 'bfloat16',
      num_tokens: t,
      width: 4096,
      latency: 0.004 + t * 1e-5,
      power: 300,
      power_limit: 700,
    }));
    writeCsv(join(base, 'elementwise_perf.txt'), ew);
    db = await openPerfDatabase({ system: h200, backend: 'sglang', perfDataDir: root, mode: 'silicon' });
    hybrid = await openPerfDatabase({ system: h200, backend: 'sglang', perfDataDir: root, mode: 'hybrid' });
  });

  it('falls back to the nearest MoE distribution and says so', () => {
    const r = db.query(moeQuery({ numTokens: 8 }));
    expect(r.latencyMs).toBeCloseTo(0.058, 12);
    expect(r.provenance).toBe('interpolated');
    expect(r.source).toContain('distribution balanced not collected: used power_law_1.01');
  });

  it('prices independent uniform routing from the balanced rows', async () => {
    // Balanced rows of a weight-bound MoE: cost grows with the experts touched, min(E, T k),
    // flat from E / k = 16 tokens, then compute grows past 64 tokens.
    const root = tempDir();
    const tokens = [1, 2, 4, 8, 16, 32, 64, 128, 256];
    const balancedMs = (t: number) => 0.01 + 0.001 * Math.min(128, t * 8) + 0.0001 * Math.max(0, t - 64);
    writeCsv(
      join(root, 'h200_sxm', 'sglang', '0.5.0', 'moe_perf.txt'),
      moeRows(
        tokens,
        {
          moe_dtype: 'bfloat16',
          hidden_size: 4096,
          inter_size: 1536,
          topk: 8,
          num_experts: 128,
          distribution: 'balanced',
        },
        balancedMs,
      ),
    );
    const moeDb = await openPerfDatabase({
      system: h200,
      backend: 'sglang',
      perfDataDir: root,
      mode: 'silicon',
    });
    const query = (numTokens: number, distribution: 'random' | 'balanced') =>
      moeDb.query(moeQuery({ numTokens, distribution }));
    const touched = (t: number) => 128 * (1 - (1 - 8 / 128) ** t);
    // Below E / k tokens: the balanced cost at touched / k tokens, 49.1 of 64 experts at 8 tokens.
    expect(query(8, 'random').latencyMs).toBe(query(touched(8) / 8, 'balanced').latencyMs);
    expect(query(8, 'random').latencyMs).toBeLessThan(0.9 * balancedMs(8));
    expect(query(8, 'random').provenance).toBe('interpolated');
    // Above: the plateau shrinks by the untouched share, the compute growth stays.
    const plateau = balancedMs(16);
    expect(query(128, 'random').latencyMs).toBeCloseTo(
      balancedMs(128) - plateau * (1 - touched(128) / 128),
      9,
    );
    // Never more than the balanced rows, and the same once every expert is touched.
    for (const t of [1, 3, 8, 20, 64, 200]) {
      expect(query(t, 'random').latencyMs).toBeLessThanOrEqual(query(t, 'balanced').latencyMs + 1e-12);
    }
    expect(query(1, 'random').latencyMs).toBeCloseTo(balancedMs(1), 12);
    expect(query(256, 'random').latencyMs / balancedMs(256)).toBeGreaterThan(0.999);
  });

  it('reads random routing from rows collected under it when they hold the layout', async () => {
    const root = tempDir();
    const tokens = [1, 8, 64, 512, 4096];
    const layout = (inter: number, distribution: string) => ({
      moe_dtype: 'bfloat16',
      hidden_size: 4096,
      inter_size: inter,
      topk: 8,
      num_experts: 128,
      distribution,
    });
    const balancedMs = (t: number) => 0.05 + 0.0002 * t;
    writeCsv(join(root, 'h200_sxm', 'torch', '2.11.0', 'moe_perf.txt'), [
      ...moeRows(tokens, layout(1536, 'balanced'), balancedMs),
      ...moeRows(tokens, layout(768, 'balanced'), balancedMs),
      // Collected where each expert expects 3 picks (48 tokens and up here); random picks load
      // experts unevenly at prefill sizes: 20% dearer at 4096 tokens here.
      ...moeRows([64, 512, 4096], layout(1536, 'random'), (t) => balancedMs(t) * (t >= 4096 ? 1.2 : 1)),
      ...moeRows([64, 512, 4096], layout(3072, 'random'), (t) => 2 * balancedMs(t)),
      ...moeRows(tokens, layout(3072, 'balanced'), (t) => 2 * balancedMs(t)),
      ...moeRows(tokens, layout(2048, 'balanced'), balancedMs),
    ]);
    const moeDb = await openPerfDatabase({
      system: h200,
      backend: 'torch',
      perfDataDir: root,
      mode: 'silicon',
    });
    const query = (interSize: number, numTokens: number) =>
      moeDb.query(moeQuery({ interSize, numTokens, distribution: 'random' }));
    const measured = query(1536, 4096);
    expect(measured.latencyMs).toBeCloseTo(balancedMs(4096) * 1.2, 9);
    expect(measured.provenance).toBe('measured');
    expect(measured.source).toContain('random');
    // A layout the random rows do not hold is priced from its own balanced rows.
    const priced = query(768, 4096);
    expect(priced.latencyMs).toBeCloseTo(balancedMs(4096), 9);
    expect(priced.source).toContain('balanced');
    // Above the random rows: held at their top row's utilisation, still from the random rows.
    expect(query(1536, 8192).source).toContain('random');
    // Below them (a decode batch): priced from the balanced rows (touched experts).
    expect(query(1536, 8).source).toContain('balanced');
    // Between two random layouts (a bracket on inter): only exact layouts are read from random rows.
    expect(query(2048, 4096).source).toContain('balanced');
  });

  it('never answers balanced or skewed routing from random rows', async () => {
    const root = tempDir();
    writeCsv(
      join(root, 'h200_sxm', 'torch', '2.11.0', 'moe_perf.txt'),
      moeRows(
        [64, 512, 4096],
        {
          moe_dtype: 'bfloat16',
          hidden_size: 4096,
          inter_size: 1536,
          topk: 8,
          num_experts: 128,
          distribution: 'random',
        },
        (t) => 0.05 + 0.0002 * t,
      ),
    );
    const moeDb = await openPerfDatabase({
      system: h200,
      backend: 'torch',
      perfDataDir: root,
      mode: 'silicon',
    });
    const query = (distribution: 'balanced' | 'power_law_1.01') => () =>
      moeDb.query(moeQuery({ distribution }));
    expect(query('balanced')).toThrow(PerfDataMissingError);
    expect(query('power_law_1.01')).toThrow(PerfDataMissingError);
  });

  it("answers mxfp4 expert queries from the tables' w4a16_mxfp4 rows", () => {
    const r = db.query(
      moeQuery({
        dtype: 'mxfp4',
        numTokens: 64,
        hiddenSize: 2880,
        interSize: 2880,
        topk: 4,
        distribution: 'power_law_1.01',
      }),
    );
    expect(r).toMatchObject({ provenance: 'measured' });
    expect(r.latencyMs).toBeCloseTo(0.03 + 64 * 0.0005, 12);
  });

  it('borrows MoE utilisation from the dtype whose data covers the shape best', () => {
    const moeAt = (hiddenSize: number, interSize: number, topk: number) =>
      hybrid.query(
        moeQuery({ dtype: 'fp8', numTokens: 8, hiddenSize, interSize, topk, distribution: 'power_law_1.01' }),
      );
    // GPT-OSS's shape is measured only as w4a16_mxfp4: no axis is held, so that group lends.
    const gptOss = moeAt(2880, 2880, 4);
    expect(gptOss.provenance).toBe('empirical');
    expect(gptOss.source).toMatch(/^utilisation borrowed from moe\[w4a16_mxfp4/);
    // The bf16 group's own shape: it covers it exactly.
    expect(moeAt(4096, 1536, 8).source).toMatch(/^utilisation borrowed from moe\[bfloat16/);
  });

  it('prefers the CUDA-graph custom all-reduce for TP all-reduce', () => {
    const r = db.query({
      kind: 'comm',
      op: 'all_reduce',
      dtype: 'bfloat16',
      numGpus: 4,
      messageElements: 65536,
    });
    expect(r).toMatchObject({ provenance: 'measured' });
    expect(r.latencyMs).toBeCloseTo(0.005 + 65536 * 1e-8, 12);
    expect(r.source).toMatch(/^custom_allreduce\[custom_graph\]/);
    // No NCCL table: other collectives miss in silicon mode and are estimated in hybrid.
    expect(() =>
      db.query({ kind: 'comm', op: 'all_gather', dtype: 'bfloat16', numGpus: 4, messageElements: 10 }),
    ).toThrow(/no usable perf data for comm/);
    expect(
      hybrid.query({ kind: 'comm', op: 'all_gather', dtype: 'bfloat16', numGpus: 4, messageElements: 10 })
        .provenance,
    ).toBe('empirical');
  });

  it('reads our elementwise table, with power on exact hits', () => {
    const exact = db.query({
      kind: 'elementwise',
      op: 'rms_norm',
      dtype: 'bfloat16',
      numTokens: 16,
      width: 4096,
    });
    expect(exact).toMatchObject({ provenance: 'measured', powerW: 300 });
    const between = db.query({
      kind: 'elementwise',
      op: 'rms_norm',
      dtype: 'bfloat16',
      numTokens: 100,
      width: 4096,
    });
    expect(between.provenance).toBe('interpolated');
    expect(between.latencyMs).toBeGreaterThan(exact.latencyMs);
    const other = hybrid.query({
      kind: 'elementwise',
      op: 'silu_mul',
      dtype: 'bfloat16',
      numTokens: 100,
      width: 4096,
    });
    expect(other.provenance).toBe('empirical');
    expect(other.latencyMs).toBeCloseTo(other.solMs / 0.8 + 0.003, 12);
  });
});

describe('host-bound decode-attention tables', () => {
  // Two engines' MLA generation tables on one GPU: vLLM's timed with ~0.15 ms of host work per
  // call, SGLang's kernel time (0.01 ms + per-token cost).
  const mlaRows = (framework: string, version: string, hostMs: number) =>
    [1, 8, 64].flatMap((batch) =>
      [128, 1024, 8192].map((kv) => ({
        framework,
        version,
        device: 'NVIDIA H200',
        op_name: 'generation_mla',
        kernel_source: 'fixture',
        mla_dtype: 'bfloat16',
        kv_cache_dtype: 'bfloat16',
        num_heads: 16,
        batch_size: batch,
        isl: 1,
        tp_size: 8,
        step: kv - 1,
        latency: Math.max(hostMs, 0.01 + batch * kv * 2e-7),
      })),
    );
  const query = {
    kind: 'generation_mla',
    mlaDtype: 'bfloat16',
    kvCacheDtype: 'bfloat16',
    numHeads: 16,
    batchSize: 8,
    kvLen: 1024,
  } as const;
  // vLLM's table with `vllmHostMs` of host work per call beside SGLang's kernel-time table.
  const writeEngineTables = (vllmHostMs: number) => {
    const root = tempDir();
    writeCsv(
      join(root, 'h200_sxm', 'vllm', '0.14.0', 'generation_mla_perf.txt'),
      mlaRows('VLLM', '0.14.0', vllmHostMs),
    );
    writeCsv(
      join(root, 'h200_sxm', 'sglang', '0.5.9', 'generation_mla_perf.txt'),
      mlaRows('SGLang', '0.5.9', 0),
    );
    return root;
  };
  const open = (root: string, backend: string, warn?: (m: string) => void) =>
    openPerfDatabase({ system: h200, backend, perfDataDir: root, mode: 'silicon', warn });

  it("answers a host-bound table's ops from the fastest other engine's table, and says so", async () => {
    const root = writeEngineTables(0.15);
    const warnings: string[] = [];
    const vllm = await open(root, 'vllm', (m) => warnings.push(m));
    const r = vllm.query(query);
    expect(r.latencyMs).toBeCloseTo(0.01 + 8 * 1024 * 2e-7, 9);
    expect(r.source).toMatch(/^generation_mla\(sglang 0\.5\.9\)\[/);
    expect(warnings.join('\n')).toMatch(
      /vllm 0\.14\.0 generation_mla is host-bound .*using sglang 0\.5\.9's/,
    );
    // The fast engine keeps its own table.
    const sglang = await open(root, 'sglang');
    expect(sglang.query(query).source).toMatch(/^generation_mla\[/);
  });

  it('loads only the candidate lenders whose fastest parquet latency could win, choosing the same', async () => {
    const root = tempDir();
    const file = (backend: string, version: string) =>
      join(root, 'h200_sxm', 'mla', backend, version, 'generation_mla_perf.parquet');
    writeParquet(file('vllm', '0.14.0'), mlaRows('VLLM', '0.14.0', 0.15));
    writeParquet(file('sglang', '0.5.9'), mlaRows('SGLang', '0.5.9', 0));
    // Its fastest call (0.05 ms) is not 4x faster than vLLM's 0.15 ms: never a lender.
    writeParquet(file('trtllm', '1.0.0'), mlaRows('TRTLLM', '1.0.0', 0.05));
    const catalog = scanPerfDataDir(root);
    const ownRef = catalog.systems.get('h200_sxm')!.get('vllm')!.get('0.14.0')!.get('generation_mla')!;
    const indexes = new Map([['generation_mla' as const, await loadTableIndex(ownRef)]]);
    const lend = async (floorMs?: (ref: TableFileRef) => Promise<number>) => {
      const loaded: string[] = [];
      const load = (ref: TableFileRef) => {
        loaded.push(ref.file);
        return loadTableIndex(ref);
      };
      const lent = await lendHostBoundTables(catalog, 'h200_sxm', 'vllm', indexes, load, floorMs);
      return { lent, loaded };
    };
    const everything = await lend();
    const screened = await lend((ref) => parquetLatencyFloorMs(ref.file));
    expect(everything.loaded).toEqual([file('sglang', '0.5.9'), file('trtllm', '1.0.0')]);
    expect(screened.loaded).toEqual([file('sglang', '0.5.9')]);
    expect(screened.lent).toEqual(everything.lent);
    expect(screened.lent.map((l) => l.origin)).toEqual(['sglang 0.5.9']);
    // The floor is the fastest call: never above the 5th percentile.
    expect(await parquetLatencyFloorMs(file('trtllm', '1.0.0'))).toBe(0.05);
    expect(await parquetLatencyFloorMs(join(root, 'missing.parquet'))).toBe(0);
  });

  it('keeps a table whose small calls are within 4x of the other engines', async () => {
    // vLLM's smallest calls 0.03 ms against SGLang's 0.01 ms: slower, not host-bound.
    const vllm = await open(writeEngineTables(0.03), 'vllm');
    expect(vllm.query(query).source).toMatch(/^generation_mla\[/);
    expect(vllm.query(query).latencyMs).toBeCloseTo(0.03, 9);
  });
});

describe('activation quantisation timed with quantised GEMMs', () => {
  // A TensorRT-LLM-like table: FP8 = half the bf16 weight traffic + the same 4 us start-up + 12 us
  // of standalone activation quantisation per call.
  const site = (m: number, n: number, k: number) => (m * k + n * k + m * n) * 2e-12 * 1e3;
  const rows = ['bfloat16', 'fp8'].flatMap((gemm_dtype) =>
    [1024, 4096].flatMap((n) =>
      [1024, 4096].flatMap((k) =>
        [1, 8, 64].map((m) => ({
          framework: 'TRTLLM',
          version: '1.2.0',
          device: 'NVIDIA H200',
          op_name: 'gemm',
          kernel_source: 'fixture',
          gemm_dtype,
          m,
          n,
          k,
          latency: gemm_dtype === 'fp8' ? 0.004 + site(m, n, k) / 2 + 0.012 : 0.004 + site(m, n, k),
        })),
      ),
    ),
  );

  it('derives the per-call quantisation cost from the table and drops it where the norm quantises', async () => {
    const root = tempDir();
    writeCsv(join(root, 'h200_sxm', 'trtllm', '1.2.0', 'gemm_perf.txt'), rows);
    const db = await openPerfDatabase({
      system: h200,
      backend: 'trtllm',
      perfDataDir: root,
      mode: 'silicon',
    });
    const gemm = { kind: 'gemm', m: 8, n: 4096, k: 4096 } as const;
    const plain = db.query({ ...gemm, dtype: 'fp8' });
    const fused = db.query({ ...gemm, dtype: 'fp8', inputQuantized: true });
    // 12 us, less half the fastest bf16 call's weight traffic (1024 x 1024 at m = 1), which the
    // derivation cannot tell from start-up cost: a slight under-estimate.
    expect(plain.latencyMs - fused.latencyMs).toBeCloseTo(0.012 - site(1, 1024, 1024) / 2, 9);
    expect(fused.source).toMatch(/activation quantised in the norm/);
    expect(fused.provenance).toBe('interpolated');
    // bf16 GEMMs quantise nothing.
    expect(db.query({ ...gemm, dtype: 'bfloat16', inputQuantized: true }).latencyMs).toBe(
      db.query({ ...gemm, dtype: 'bfloat16' }).latencyMs,
    );
  });

  it('finds no such cost in a table whose quantised GEMMs are just faster', async () => {
    const root = tempDir();
    writeCsv(join(root, 'h200_sxm', 'trtllm', '1.2.0', 'gemm_perf.txt'), gemmRows('TRTLLM', '1.2.0'));
    const db = await openPerfDatabase({
      system: h200,
      backend: 'trtllm',
      perfDataDir: root,
      mode: 'silicon',
    });
    const gemm = { kind: 'gemm', dtype: 'fp8', m: 8, n: 4096, k: 4096 } as const;
    expect(db.query({ ...gemm, inputQuantized: true }).latencyMs).toBe(db.query(gemm).latencyMs);
  });
});
