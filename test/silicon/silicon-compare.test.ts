import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR } from '../../src/common/index.js';
import { SystemRegistry } from '../../src/hardware/index.js';
import { loadModel } from '../../src/models/index.js';
import type { OpQuery } from '../../src/perfdb/index.js';
import type {
  DisaggConfig,
  ServingConfig,
  ServingMetrics,
  WorkerParallel,
  Workload,
} from '../../src/serving/index.js';
import {
  compareSiliconRows,
  predictRow,
  readSiliconCsv,
  rowBenchmarkClient,
  rowMoeRouting,
  rowToConfig,
  SiliconRowSchema,
  scorePredictions,
  siliconEngineSettings,
  sizeUnrecordedWorkers,
  sourceLabel,
} from '../../src/silicon/index.js';
import { formulaDatabase } from '../helpers/formula-database.js';
import { predictedMetrics } from '../helpers/predicted-metrics.js';
import { siliconRow } from '../helpers/silicon-row.js';

/** Predict a row against the closed-form test database. */
function predictWithFormulas(row: ReturnType<typeof SiliconRowSchema.parse>) {
  return predictRow(row, { systems: new SystemRegistry(), openDatabase: () => formulaDatabase() });
}

const workload: Workload = { isl: 1024, osl: 1024, prefix: 0, nextn: 0, nextnAccept: 0 };

function disaggRow(extra: Record<string, string>) {
  return SiliconRowSchema.parse({
    id: 'r1',
    silicon_data_source: 'silicon_concurrency=350',
    backend: 'trtllm',
    model_path: 'Qwen/Qwen3-32B',
    system: 'h200_sxm',
    mode: 'disagg',
    isl: '1024',
    osl: '1024',
    prefill_tp_size: '2',
    decode_tp_size: '4',
    silicon_ttft_ms: '100',
    silicon_tpot_ms: '10',
    ...extra,
  });
}

/** A stand-in estimator: 100 requests fit one decode worker; prefill workers add 1000 tok/s up to 3000. */
const estimator = {
  largestFittingBatch: (_p: WorkerParallel, batch: number) => Math.min(batch, 100),
  estimate: (config: ServingConfig, _w: Workload): ServingMetrics => {
    const workers = (config as DisaggConfig).prefill.workers;
    return { tokensPerS: Math.min(3000, workers * 1000) } as ServingMetrics;
  },
};

describe('sizing disaggregated rows that do not record their workers', () => {
  const model = loadModel('Qwen/Qwen3-32B');

  it('assumes the fewest decode workers that hold the clients and the fewest prefill workers that keep up', () => {
    const row = disaggRow({});
    const sized = sizeUnrecordedWorkers(rowToConfig(row, model), row, estimator, workload) as DisaggConfig;
    expect(sized.decode.workers).toBe(4); // ceil(350 / 100)
    expect(sized.decode.batchSize).toBe(88); // ceil(350 / 4) per worker
    expect(sized.prefill.workers).toBe(3); // 3000 tok/s is the most more workers give
    expect(sized.clients).toBe(350);
  });

  it('keeps what the row records', () => {
    const row = disaggRow({ prefill_num_workers: '1', decode_num_workers: '2', decode_batch_size: '64' });
    const config = rowToConfig(row, model);
    expect(sizeUnrecordedWorkers(config, row, estimator, workload)).toBe(config);
  });
});

describe('predictRow quantisation labels', () => {
  it('prices GPT-OSS rows labelled nvfp4 on Hopper with the checkpoint formats (mxfp4 experts, bf16 attention)', () => {
    const db = formulaDatabase();
    const seen = new Set<string>();
    const recording = {
      ...db,
      query(op: OpQuery) {
        if (op.kind === 'moe' || op.kind === 'gemm') seen.add(`${op.kind}:${op.dtype}`);
        return db.query(op);
      },
    };
    const row = SiliconRowSchema.parse({
      id: 'gpt-oss',
      silicon_data_source: 'silicon_concurrency=8',
      backend: 'vllm',
      model_path: 'openai/gpt-oss-120b',
      system: 'h200_sxm',
      precision: 'fp4',
      mode: 'agg',
      isl: '1024',
      osl: '128',
      gemm_quant_mode: 'nvfp4',
      moe_quant_mode: 'nvfp4',
      batch_size: '8',
      tp_size: '1',
      silicon_ttft_ms: '100',
      silicon_tpot_ms: '10',
    });
    const prediction = predictRow(row, { systems: new SystemRegistry(), openDatabase: () => recording });
    expect(prediction.failure).toBeUndefined();
    expect([...seen].sort()).toEqual(['gemm:bfloat16', 'moe:mxfp4']);
  });
});

describe('scorePredictions', () => {
  it('scores disaggregated rows with assumed workers apart from rows as recorded', () => {
    const withWorkers = disaggRow({ prefill_num_workers: '1', decode_num_workers: '2' });
    const without = disaggRow({});
    const metrics = predictedMetrics(100, 10);
    const report = scorePredictions([
      { row: withWorkers, metrics, ttftErrorPct: 10, tpotErrorPct: 1 },
      { row: without, metrics, ttftErrorPct: 50, tpotErrorPct: 5 },
    ]);
    const deployment = report.partitions.filter((p) => p.partition === 'deployment');
    expect(deployment.map((p) => [p.value, p.ttftMapePct, p.tpotMapePct])).toEqual([
      ['as recorded', 10, 1],
      ['workers assumed', 50, 5],
    ]);
  });

  it('says which way the error leans, and groups rows by what their predicted time is made of', () => {
    // Measured TTFT 100 ms, TPOT 10 ms. Two predictions low on TTFT (one 60% queue, one 10%), one
    // high; TPOT: one high with a third of it other requests' prefill, two exact.
    const row = disaggRow({ prefill_num_workers: '1', decode_num_workers: '2' });
    const withParts = (ttftMs: number, queueMs: number, tpotMs: number, interferenceMs: number) => ({
      ...predictedMetrics(ttftMs, tpotMs),
      ttftParts: { overheadMs: 0, queueMs, prefillMs: ttftMs - queueMs, handOffMs: 0 },
      tpotParts: { decodeMs: tpotMs - interferenceMs, prefillInterferenceMs: interferenceMs },
    });
    const report = scorePredictions([
      { row, metrics: withParts(80, 48, 12, 4), ttftErrorPct: 20, tpotErrorPct: 20 },
      { row, metrics: withParts(90, 9, 10, 0), ttftErrorPct: 10, tpotErrorPct: 0 },
      { row, metrics: withParts(110, 11, 10, 0), ttftErrorPct: 10, tpotErrorPct: 0 },
    ]);
    const all = report.partitions.find((p) => p.partition === 'all')!;
    expect(all.ttftLowPct).toBeCloseTo(200 / 3);
    expect(all.tpotLowPct).toBe(0);
    const values = (name: string) =>
      report.partitions.filter((p) => p.partition === name).map((p) => [p.value, p.predicted]);
    expect(values('predicted TTFT queue share')).toEqual([
      ['0-25%', 2],
      ['50-100%', 1],
    ]);
    expect(values('predicted TPOT prefill share')).toEqual([
      ['0-10%', 2],
      ['30-100%', 1],
    ]);
  });
});

describe('predictRow recorded layouts', () => {
  it('fails a row whose recorded layout cannot hold the weights, saying by how much', () => {
    const row = SiliconRowSchema.parse({
      id: 'too-big',
      silicon_data_source: 'silicon_concurrency=4',
      backend: 'vllm',
      model_path: 'meta-llama/Llama-3.1-405B',
      system: 'h200_sxm',
      mode: 'agg',
      isl: '1024',
      osl: '128',
      batch_size: '4',
      tp_size: '1',
      silicon_ttft_ms: '100',
      silicon_tpot_ms: '10',
    });
    const prediction = predictWithFormulas(row);
    expect(prediction.metrics).toBeUndefined();
    expect(prediction.failure).toMatch(
      /^InfeasibleError: recorded agg layout tp=1 pp=1 dp=1 cannot hold the model: one request needs \d+ GiB per GPU of 141 GiB$/,
    );
  });

  it('names the disaggregated role whose layout cannot hold the weights', () => {
    const row = SiliconRowSchema.parse({
      id: 'too-big-decode',
      silicon_data_source: 'silicon_concurrency=4',
      backend: 'vllm',
      model_path: 'meta-llama/Llama-3.1-405B',
      system: 'h200_sxm',
      mode: 'disagg',
      isl: '1024',
      osl: '128',
      prefill_tp_size: '8',
      decode_tp_size: '2',
      silicon_ttft_ms: '100',
      silicon_tpot_ms: '10',
    });
    const prediction = predictWithFormulas(row);
    expect(prediction.failure).toMatch(/^InfeasibleError: recorded decode layout tp=2 pp=1 dp=1 cannot hold/);
  });
});

describe('agg rows that record tp x ep as tp_size', () => {
  const model = loadModel('openai/gpt-oss-120b');
  const aggRow = (id: string, tp: string, moeTp: string, moeEp: string) =>
    SiliconRowSchema.parse({
      id,
      silicon_data_source: 'silicon_concurrency=4',
      backend: 'trtllm',
      model_path: 'openai/gpt-oss-120b',
      system: 'h200_sxm',
      mode: 'agg',
      isl: '1024',
      osl: '1024',
      batch_size: '4',
      tp_size: tp,
      moe_tp_size: moeTp,
      moe_ep_size: moeEp,
      silicon_ttft_ms: '90',
      silicon_tpot_ms: '4.3',
    });
  const parallelOf = (config: ServingConfig) => (config.mode === 'agg' ? config.parallel : undefined);

  it('reads an id naming tp8_ep8 with columns 64 / 8 / 8 as 8 GPUs, experts split 8 ways by EP', () => {
    const config = rowToConfig(aggRow('h200_trtllm_fp4_agg_1024x1024_c4_tp8_ep8_991', '64', '8', '8'), model);
    expect(parallelOf(config)).toMatchObject({ tp: 8, moeTp: 1, moeEp: 8, attentionDp: 1 });
  });

  it('keeps the columns when the id does not name that layout or the columns do not square with it', () => {
    expect(parallelOf(rowToConfig(aggRow('cfg181', '64', '8', '8'), model))).toMatchObject({
      tp: 64,
      moeTp: 8,
      moeEp: 8,
    });
    // The id names tp8_ep8 but the columns do not read 64 / 8 / 8.
    expect(parallelOf(rowToConfig(aggRow('x_tp8_ep8_1', '64', '8', '4'), model))).toMatchObject({
      tp: 64,
      moeTp: 8,
      moeEp: 4,
    });
    expect(parallelOf(rowToConfig(aggRow('x_tp4_ep4_1', '16', '2', '8'), model))).toMatchObject({
      tp: 16,
      moeTp: 2,
      moeEp: 8,
    });
  });
});

describe('serving runs of our own loop (data/reference, measured on an H200)', () => {
  const csv = readSiliconCsv(join(DATA_DIR, 'reference', 'h200_sxm_torch_2.11.0_serving.csv'));
  const compare = (rows: typeof csv.rows) =>
    compareSiliconRows(rows, { systems: new SystemRegistry(), mode: 'hybrid', warn: () => {} });
  const overall = (report: Awaited<ReturnType<typeof compare>>) =>
    report.partitions.find((p) => p.partition === 'all')!;

  it("are predicted within the TTFT / TPOT targets, reading each row's cuda_graphs=off", async () => {
    expect(csv.problems).toEqual([]);
    expect(csv.rows.length).toBeGreaterThanOrEqual(10);
    expect(csv.rows.every((row) => siliconEngineSettings(row).cudaGraphs === false)).toBe(true);
    const report = await compare(csv.rows);
    expect(report.coverage).toBe(1);
    expect(overall(report).ttftMapePct).toBeLessThan(15);
    expect(overall(report).tpotMapePct).toBeLessThan(10);
    // Read as if the decodes had replayed CUDA graphs, their steps are priced too fast.
    const graphed = csv.rows.map((row) => ({
      ...row,
      silicon_data_source: row.silicon_data_source.replace('cuda_graphs=off', 'cuda_graphs=on'),
    }));
    expect(overall(await compare(graphed)).tpotMapePct).toBeGreaterThan(overall(report).tpotMapePct + 5);
  });

  it('keep TTFT within its target where most of it is queueing (the heavy-load runs)', async () => {
    const heavy = readSiliconCsv(join(DATA_DIR, 'reference', 'h200_sxm_torch_2.11.0_serving_heavy.csv'));
    expect(heavy.problems).toEqual([]);
    expect(heavy.rows.length).toBeGreaterThanOrEqual(6);
    const report = await compare(heavy.rows);
    expect(report.coverage).toBe(1);
    // Queueing is most of the predicted TTFT in every run, so this checks the queue model.
    for (const p of report.predictions)
      expect(p.metrics!.ttftParts.queueMs / p.metrics!.ttftMs).toBeGreaterThan(0.4);
    expect(overall(report).ttftMapePct).toBeLessThan(15);
  });
});

describe('siliconEngineSettings', () => {
  it('reads cuda_graphs=off (or false) as a key of the source text, nothing else', () => {
    const row = (source: string) => siliconRow({ silicon_data_source: source, backend: 'torch' });
    expect(siliconEngineSettings(row('serving_run.py; cuda_graphs=off; silicon_concurrency=4'))).toEqual({
      cudaGraphs: false,
    });
    expect(siliconEngineSettings(row('cuda_graphs=false'))).toEqual({ cudaGraphs: false });
    expect(siliconEngineSettings(row('cuda_graphs=on; silicon_concurrency=4'))).toEqual({});
    expect(siliconEngineSettings(row('no_cuda_graphs=offline'))).toEqual({});
  });

  it('reads scheduler=mixed or prefill-first, and fails a row naming any other value', () => {
    const row = (source: string) => siliconRow({ silicon_data_source: source, backend: 'torch' });
    expect(siliconEngineSettings(row('cuda_graphs=off; scheduler=prefill-first'))).toEqual({
      cudaGraphs: false,
      scheduler: 'prefill-first',
    });
    expect(siliconEngineSettings(row('scheduler=mixed; silicon_concurrency=8'))).toEqual({
      scheduler: 'mixed',
    });
    expect(() => siliconEngineSettings(row('scheduler=fifo'))).toThrow(
      /silicon_data_source scheduler=fifo must be one of mixed, prefill-first/,
    );
  });

  it('reads a recorded MoE routing; balanced decode batches touch more experts than random ones', async () => {
    const row = (source: string) =>
      siliconRow({
        silicon_data_source: source,
        backend: 'torch',
        backend_version: '2.11.0',
        system: 'h200_sxm',
        model_path: 'Qwen/Qwen3-30B-A3B',
        isl: '1024',
        osl: '128',
        batch_size: '8',
        tp_size: '1',
        moe_quant_mode: 'bfloat16',
      });
    expect(rowMoeRouting(row('silicon_concurrency=8; moe_distribution=balanced'))).toBe('balanced');
    expect(rowMoeRouting(row('silicon_concurrency=8'))).toBeUndefined();
    expect(() => rowMoeRouting(row('moe_distribution=zipf'))).toThrow(
      /silicon_data_source moe_distribution=zipf must be one of random, balanced/,
    );
    // Eight tokens x top-8 over 128 experts: round-robin picks 64 experts, random ones about 50;
    // the embedded torch MoE table holds both routings.
    const report = await compareSiliconRows(
      [
        row('silicon_concurrency=8; cuda_graphs=on'),
        { ...row('silicon_concurrency=8; moe_distribution=balanced'), id: 'balanced' },
        { ...row('moe_distribution=zipf'), id: 'zipf' },
      ],
      { systems: new SystemRegistry(), mode: 'silicon', warn: () => {} },
    );
    const [random, balanced, zipf] = report.predictions;
    expect(balanced!.metrics!.tpotMs).toBeGreaterThan(random!.metrics!.tpotMs * 1.03);
    expect(zipf!.failure).toMatch(/moe_distribution=zipf/);
  });

  /** A torch Llama-3.1-8B row at 32 clients recording `source` facts, predicted on the formula tables. */
  const torchRowAt = (isl: number, source: string) =>
    predictWithFormulas(
      siliconRow({
        silicon_data_source: `silicon_concurrency=32; ${source}`,
        backend: 'torch',
        backend_version: '2.11.0',
        system: 'h200_sxm',
        model_path: 'meta-llama/Llama-3.1-8B-Instruct',
        isl: String(isl),
        osl: '128',
        batch_size: '32',
        tp_size: '1',
      }),
    );

  it('prices a recorded scheduler: prefill-first steps carry no decodes, so TPOT rises and TTFT falls', () => {
    const at = (scheduler: string) => torchRowAt(1024, `scheduler=${scheduler}`);
    const mixed = at('mixed');
    const first = at('prefill-first');
    expect(first.metrics!.tpotMs).toBeGreaterThan(mixed.metrics!.tpotMs);
    expect(first.metrics!.ttftMs).toBeLessThan(mixed.metrics!.ttftMs);
  });

  it('prices a recorded prefix-cache hit and token budget, and fails malformed ones', () => {
    const at = (source: string) => torchRowAt(4096, source);
    const cold = at('length_ratio=1');
    const cached = at('length_ratio=1; prefix=3072');
    // A quarter of each prompt to compute: prefill (and the queue behind it) shrinks.
    expect(cached.metrics!.ttftMs).toBeLessThan(0.75 * cold.metrics!.ttftMs);
    expect(cached.metrics!.ttftParts.prefillMs).toBeLessThan(cold.metrics!.ttftParts.prefillMs);
    // A recorded token budget is the engine's: 8192 is the default budget, 1024 splits each
    // 4096-token prompt over four steps.
    expect(at('length_ratio=1; ctx_tokens=8192').metrics!.ttftMs).toBe(cold.metrics!.ttftMs);
    const chunked = at('length_ratio=1; ctx_tokens=1024');
    expect(Math.abs(chunked.metrics!.ttftMs / cold.metrics!.ttftMs - 1)).toBeGreaterThan(0.05);
    expect(at('ctx_tokens=0').failure).toMatch(/ctx_tokens=0/);
    expect(at('ctx_tokens=10.5').failure).toMatch(/ctx_tokens=10\.5 must be a whole number/);
    expect(at('prefix=4096').failure).toMatch(
      /prefix=4096 must be a whole number of tokens below the row's isl \(4096\)/,
    );
    expect(at('prefix=12.5').failure).toMatch(/prefix=12\.5/);
  });
});

describe('rowBenchmarkClient', () => {
  const ttftOf = (prediction: ReturnType<typeof predictRow>): number => {
    if (!prediction.metrics) throw new Error(prediction.failure);
    return prediction.metrics.ttftMs;
  };
  const row = (source: string) =>
    siliconRow({ silicon_data_source: source, isl: '4096', osl: '256', batch_size: '64', tp_size: '2' });

  it('reads waves=, requests= (over the concurrency) and length_ratio= from the source text', () => {
    expect(rowBenchmarkClient(row('silicon_concurrency=64; waves=3; length_ratio=0.5'))).toEqual({
      waves: 3,
      lengthRatio: 0.5,
    });
    expect(rowBenchmarkClient(row('serving_run.py; silicon_concurrency=8; requests=20'))).toEqual({
      waves: 2.5,
    });
    // Without a concurrency a request count says nothing about waves.
    expect(rowBenchmarkClient(row('requests=20'))).toEqual({});
    expect(rowBenchmarkClient(row('silicon_concurrency=8; max_waves=3'))).toEqual({});
  });

  it('a malformed protocol fact fails that row with the key named, and the row is still reported', () => {
    expect(() => rowBenchmarkClient(row('length_ratio=1.5'))).toThrow(
      /length_ratio=1.5 must be a number in \(0, 1\]/,
    );
    const predicted = predictWithFormulas(row('silicon_concurrency=64; waves=none'));
    expect(predicted.failure).toMatch(/waves=none/);
  });

  it('a row that ran one wave waits longer for its first token than the ten assumed', () => {
    const oneWave = predictWithFormulas(row('silicon_concurrency=64; waves=1'));
    const assumed = predictWithFormulas(row('silicon_concurrency=64'));
    const tenWaves = predictWithFormulas(row('silicon_concurrency=64; waves=10'));
    // All 64 clients send at once: with one wave every request is in that opening burst, queued
    // behind up to 63 prefills; with ten, later requests arrive staggered by their predecessors' ends.
    expect(ttftOf(oneWave)).toBeGreaterThan(3 * ttftOf(assumed));
    expect(ttftOf(tenWaves)).toBeCloseTo(ttftOf(assumed), 6);
  });

  it('the recorded protocol wins over the assumed client of the command line', () => {
    const deps = {
      systems: new SystemRegistry(),
      openDatabase: () => formulaDatabase(),
      client: { waves: 1 },
    };
    const recorded = predictRow(row('silicon_concurrency=64; waves=10'), deps);
    const assumedOne = predictRow(row('silicon_concurrency=64'), deps);
    expect(ttftOf(recorded)).toBeCloseTo(ttftOf(predictWithFormulas(row('silicon_concurrency=64'))), 6);
    expect(ttftOf(assumedOne)).toBeGreaterThan(ttftOf(recorded));
  });
});

describe('sourceLabel', () => {
  const row = (source: string) =>
    siliconRow({ silicon_data_source: source, backend: 'sglang', system: 'h100_sxm' });

  it('names a row by the first field of its source text, a path cut to its last three parts', () => {
    expect(
      sourceLabel(row('source_file=/home/u/gap/data/h100_sxm/sglang/0.5.1/Qwen.csv; silicon_concurrency=16')),
    ).toBe('sglang/0.5.1/Qwen.csv');
    expect(sourceLabel(row('db-dump/2026-04-27; config_id=81; silicon_concurrency=8'))).toBe(
      'db-dump/2026-04-27',
    );
    expect(sourceLabel(row('serving_run.py; cuda_graphs=off'))).toBe('serving_run.py');
    expect(sourceLabel(row(''))).toBe('unnamed');
  });

  it('scores each source apart', () => {
    const a = predictWithFormulas(row('source_file=a.csv; silicon_concurrency=4'));
    const b = predictWithFormulas(row('source_file=b.csv; silicon_concurrency=4'));
    const c = predictWithFormulas(row('source_file=b.csv; silicon_concurrency=4'));
    const sources = scorePredictions([a, b, c]).partitions.filter((p) => p.partition === 'source');
    expect(sources.map((p) => [p.value, p.rows])).toEqual([
      ['a.csv', 1],
      ['b.csv', 2],
    ]);
  });
});
