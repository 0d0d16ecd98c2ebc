import { describe, expect, it } from 'vitest';
import {
  buildPlan,
  caseId,
  catalogModelSource,
  planModelCases,
  queryToCase,
} from '../../src/collect/index.js';
import { shardPlans } from '../../src/collect/plan-file.js';
import { InvalidConfigError, UsageError } from '../../src/common/index.js';

const base = { grid: 'compact' as const, smoke: false, shuffle: false, seed: 1, gpuCount: 1 };

describe('case plans', () => {
  it('gives a case the same id whatever the key order, and different ids to different cases', () => {
    expect(caseId('gemm', { m: 1, n: 2, k: 3, gemm_dtype: 'bfloat16' })).toBe(
      caseId('gemm', { gemm_dtype: 'bfloat16', k: 3, n: 2, m: 1 }),
    );
    expect(caseId('gemm', { m: 1, n: 2, k: 3 })).not.toBe(caseId('gemm', { m: 1, n: 3, k: 2 }));
  });

  it('builds the same plan (and hash) twice; shuffle is seeded; smoke and limit cut per op', () => {
    const a = buildPlan({ ...base, ops: ['gemm', 'elementwise'] });
    const b = buildPlan({ ...base, ops: ['gemm', 'elementwise'] });
    expect(a.map((p) => p.hash)).toEqual(b.map((p) => p.hash));
    const s1 = buildPlan({ ...base, ops: ['gemm'], shuffle: true, seed: 7 });
    const s2 = buildPlan({ ...base, ops: ['gemm'], shuffle: true, seed: 7 });
    const s3 = buildPlan({ ...base, ops: ['gemm'], shuffle: true, seed: 8 });
    expect(s1[0]?.hash).toBe(s2[0]?.hash);
    expect(s1[0]?.hash).not.toBe(s3[0]?.hash);
    expect(buildPlan({ ...base, ops: ['gemm', 'moe'], smoke: true }).map((p) => p.cases.length)).toEqual([
      6, 6,
    ]);
    expect(buildPlan({ ...base, ops: ['gemm'], limit: 11 })[0]?.cases).toHaveLength(11);
  });

  it('filters cases by every part of --case-filter', () => {
    const plan = buildPlan({ ...base, ops: ['gemm'], caseFilter: 'gemm_dtype=fp8,m=4096,' });
    expect(plan[0]?.cases.length).toBeGreaterThan(0);
    for (const c of plan[0]?.cases ?? []) {
      expect(c.params['gemm_dtype']).toBe('fp8');
      expect(c.params['m']).toBe(4096);
    }
  });

  it('matches --case-filter values exactly, not as substrings', () => {
    // 'n=4096' must not pick n=40960 nor the n inside another name; 'm=4096.0' is the number 4096.
    const plan = buildPlan({ ...base, ops: ['gemm'], caseFilter: 'n=4096' })[0]?.cases ?? [];
    expect(plan.length).toBeGreaterThan(0);
    expect(new Set(plan.map((c) => c.params['n']))).toEqual(new Set([4096]));
    const decimal = buildPlan({ ...base, ops: ['gemm'], caseFilter: 'm=4096.0' })[0]?.cases ?? [];
    expect(new Set(decimal.map((c) => c.params['m']))).toEqual(new Set([4096]));
    expect(() => buildPlan({ ...base, ops: ['gemm'], caseFilter: 'gemm_dtype=fp' })).toThrow(
      "--case-filter 'gemm_dtype=fp' matched none",
    );
    expect(() => buildPlan({ ...base, ops: ['gemm'], caseFilter: 'fp8' })).toThrow(
      "--case-filter part 'fp8' is not name=value",
    );
  });

  it('plans nccl only up to the GPUs the campaign owns', () => {
    expect(buildPlan({ ...base, ops: ['gemm', 'nccl'] })[1]?.cases).toHaveLength(0);
    expect(() => buildPlan({ ...base, ops: ['nccl'] })).toThrow(
      'the plan has no cases: nccl measures collectives over 2 or more GPUs and --gpus lists 1',
    );
    const two = buildPlan({ ...base, ops: ['nccl'], gpuCount: 2 })[0]?.cases ?? [];
    expect(two).toHaveLength(4 * 2 * 21); // 4 collectives x bf16,int8 x 512 B..512 MiB
    expect(new Set(two.map((c) => c.params['num_gpus']))).toEqual(new Set([2]));
  });

  it('refuses an empty plan and says which filter part matched nothing', () => {
    expect(() => buildPlan({ ...base, ops: ['gemm'], caseFilter: 'zzz=1' })).toThrow(UsageError);
    expect(() => buildPlan({ ...base, ops: ['gemm'], caseFilter: 'zzz=1,m=4096' })).toThrow(
      "--case-filter names zzz, which no planned case has; the cases' parameters are gemm_dtype, k, m, n",
    );
    expect(() => buildPlan({ ...base, ops: ['gemm'], caseFilter: 'gemm_dtype=int3' })).toThrow(
      "--case-filter 'gemm_dtype=int3' matched none of the 1920 planned cases",
    );
  });

  it('splits a plan into disjoint shards that cover it', () => {
    const plan = buildPlan({ ...base, ops: ['gemm'], limit: 25 });
    const shards = [0, 1, 2].map((k) => shardPlans(plan, k, 3));
    const ids = shards.flatMap((s) => s[0]?.cases.map((c) => c.id) ?? []);
    expect(ids.sort()).toEqual((plan[0]?.cases.map((c) => c.id) ?? []).sort());
    expect(() => shardPlans(plan, 3, 3)).toThrow(/--shard-index/);
  });
});

describe('model-driven plans', () => {
  const source = catalogModelSource();

  it('resolves short catalog names and rejects unknown models', () => {
    expect(source.resolveModel('Llama-3.1-8B')).toBe('meta-llama/Llama-3.1-8B');
    expect(source.resolveModel('no-such-model')).toBeUndefined();
  });

  it('decomposes a dense layer into the torch-backend kernels with TP-sharded shapes', () => {
    const ops = source.stepOps('meta-llama/Llama-3.1-8B', 2, 1, {
      phase: 'context',
      batchSize: 1,
      isl: 1024,
      kvLen: 0,
    });
    const gemms = ops.filter((o) => o.kind === 'gemm').map((o) => (o.kind === 'gemm' ? [o.n, o.k] : []));
    expect(gemms).toEqual([
      [(16 + 2 * 4) * 128, 4096], // qkv
      [4096, 16 * 128], // o
      [2 * 7168, 4096], // gate_up
      [4096, 7168], // down
      [128256, 4096], // lm-head, replicated
    ]);
    expect(ops.some((o) => o.kind === 'comm' && o.op === 'all_reduce' && o.numGpus === 2)).toBe(true);
  });

  it('asks for each MoE shape balanced and power_law_1.01, and random once each expert expects 3 picks', () => {
    const routings = (batchSize: number) =>
      source
        .stepOps('Qwen/Qwen3-30B-A3B', 1, 1, { phase: 'generation', batchSize, isl: 0, kvLen: 1024 })
        .flatMap((o) => (o.kind === 'moe' ? [o.distribution] : []))
        .sort();
    // 128 experts, top-8: 48 tokens make 3 picks per expert.
    expect(routings(32)).toEqual(['balanced', 'power_law_1.01']);
    expect(routings(48)).toEqual(['balanced', 'power_law_1.01', 'random']);
  });

  it('snaps token counts up to the plan axis and maps each query to its table', () => {
    const [c] = queryToCase({ kind: 'gemm', dtype: 'bfloat16', m: 300, n: 4096, k: 4096 });
    expect(c?.params).toEqual({ gemm_dtype: 'bfloat16', m: 384, n: 4096, k: 4096 });
    const [g] = queryToCase({
      kind: 'generation_attention',
      batchSize: 8,
      kvLen: 4096,
      numHeads: 32,
      numKvHeads: 8,
      headDim: 128,
      windowSize: 0,
      kvCacheDtype: 'bfloat16',
    });
    expect(g?.params['isl']).toBe(1);
    expect(g?.params['step']).toBe(4095);
  });

  it('covers every model at every TP and plans a GEMM shared by two TPs once', () => {
    const cases = planModelCases({
      source,
      models: ['meta-llama/Llama-3.1-8B', 'Qwen/Qwen3-30B-A3B'],
      tps: [1, 2, 4, 8],
    });
    const moe = cases.get('moe') ?? [];
    expect(new Set(moe.map((p) => p['moe_ep_size']))).toEqual(new Set([1, 2, 4, 8]));
    // The lm head [128256, 4096] is replicated: TP 1 and TP 2 plan the same GEMM, measured once per m.
    const twoTps = planModelCases({ source, models: ['meta-llama/Llama-3.1-8B'], tps: [1, 2] });
    const oneTp = planModelCases({ source, models: ['meta-llama/Llama-3.1-8B'], tps: [1] });
    const lmHead = (c: typeof cases) =>
      (c.get('gemm') ?? []).filter((p) => p['n'] === 128256 && p['k'] === 4096).map((p) => p['m']);
    expect(lmHead(oneTp).length).toBeGreaterThan(0);
    expect(lmHead(twoTps)).toEqual(lmHead(oneTp));
    expect(new Set(lmHead(twoTps)).size).toBe(lmHead(twoTps).length);
    const nccl = cases.get('nccl') ?? [];
    expect(new Set(nccl.map((p) => p['num_gpus']))).toEqual(new Set([2, 4, 8]));
  });

  it('says which parallel rule empties a model plan, and warns about a tp it skips', () => {
    const model = { ...base, ops: ['gemm'] as const, models: ['Qwen/Qwen3-32B'], modelSource: source };
    expect(() => buildPlan({ ...model, tps: [3] })).toThrow(InvalidConfigError);
    expect(() => buildPlan({ ...model, tps: [3] })).toThrow(
      'the plan has no cases: no model can run at the requested --tp: Qwen/Qwen3-32B: tp=3 does not divide 64 heads',
    );
    const warnings: string[] = [];
    const plan = buildPlan({ ...model, tps: [1, 3], warn: (m) => warnings.push(m) });
    expect(plan[0]?.cases.length).toBeGreaterThan(0);
    expect(warnings).toEqual([
      expect.stringMatching(/^no cases planned for tp 3 for Qwen\/Qwen3-32B \(.*does not divide/),
    ]);
    expect(() => buildPlan({ ...model, ops: ['moe'], tps: [1] })).toThrow(
      'Qwen/Qwen3-32B at tp 1 need no moe cases; they need',
    );
  });
});
