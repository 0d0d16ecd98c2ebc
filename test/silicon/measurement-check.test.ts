import { describe, expect, it } from 'vitest';
import { SystemRegistry } from '../../src/hardware/index.js';
import { decodeStep, loadModel, prefillStep, resolveQuant } from '../../src/models/index.js';
import { createEstimator } from '../../src/serving/index.js';
import {
  checkMeasurement,
  predictRow,
  rowToConfig,
  SiliconRowSchema,
  scorePredictions,
} from '../../src/silicon/index.js';
import { formulaDatabase } from '../helpers/formula-database.js';
import { predictedMetrics } from '../helpers/predicted-metrics.js';

const systems = new SystemRegistry();

function aggRow(extra: Record<string, string>) {
  return SiliconRowSchema.parse({
    id: 'agg1',
    silicon_data_source: 'silicon_concurrency=16',
    backend: 'vllm',
    model_path: 'meta-llama/Llama-3.1-8B-Instruct',
    system: 'h200_sxm',
    mode: 'agg',
    isl: '1000',
    osl: '101',
    batch_size: '16',
    tp_size: '1',
    silicon_ttft_ms: '100',
    silicon_tpot_ms: '20',
    ...extra,
  });
}

function estimatorFor(row: ReturnType<typeof aggRow>) {
  const model = loadModel(row.model_path);
  const system = systems.get(row.system);
  return {
    model,
    estimator: createEstimator({
      model,
      system,
      db: formulaDatabase(),
      quant: resolveQuant(model, system.gpu.sm_version, {}),
      backend: 'vllm',
    }),
  };
}

describe('checkMeasurement (speed-of-light load a measured row implies)', () => {
  const workload = { isl: 1000, osl: 101, prefix: 0, nextn: 0, nextnAccept: 0 };

  it("prices the row's own Little's-law load at the speed of light", () => {
    const row = aggRow({});
    const { model, estimator } = estimatorFor(row);
    const config = rowToConfig(row, model);
    if (config.mode !== 'agg') throw new Error('an agg row makes an agg config');
    const check = checkMeasurement(row, config, estimator, workload)!;
    // 16 clients, each request 100 ms + 100 x 20 ms: 16 / 2100 requests per ms, 2000 ms decoding.
    const perMs = 16 / 2100;
    expect(check.decodingPerRank).toBeCloseTo(perMs * 2000, 9);
    const p = estimator.engine.stepLatency(config.parallel, prefillStep(1, 1000));
    const d = estimator.engine.stepLatency(config.parallel, decodeStep(Math.round(perMs * 2000), 1051));
    expect(p.solMs).toBeGreaterThan(0);
    expect(check.solUtilisation).toBeCloseTo(Math.max(perMs * p.solMs, d.solMs / 20), 9);
  });

  it('prices only the prompt tokens a prefix-cache hit leaves to compute', () => {
    // A prefill-bound row: a long TTFT and many requests per ms make the prompt work the bound.
    const row = aggRow({ silicon_ttft_ms: '1', silicon_tpot_ms: '0.5', osl: '2' });
    const { model, estimator } = estimatorFor(row);
    const config = rowToConfig(row, model);
    if (config.mode !== 'agg') throw new Error('an agg row makes an agg config');
    const at = (prefix: number) =>
      checkMeasurement(row, config, estimator, { ...workload, osl: 2, prefix })!.solUtilisation;
    const cached = estimator.engine.stepLatency(config.parallel, prefillStep(1, 250, 750)).solMs;
    const cold = estimator.engine.stepLatency(config.parallel, prefillStep(1, 1000)).solMs;
    expect(cached).toBeLessThan(cold);
    expect(at(750) / at(0)).toBeCloseTo(cached / cold, 9);
  });

  it('finds a TPOT below the decode step speed of light impossible', () => {
    const row = aggRow({ silicon_tpot_ms: '0.01' });
    const { model, estimator } = estimatorFor(row);
    const check = checkMeasurement(row, rowToConfig(row, model), estimator, workload)!;
    expect(check.solUtilisation).toBeGreaterThan(1);
  });

  it('has nothing to say about a row of one output token', () => {
    const row = aggRow({ osl: '1' });
    const { model, estimator } = estimatorFor(row);
    const check = checkMeasurement(row, rowToConfig(row, model), estimator, { ...workload, osl: 1 });
    expect(check).toBeUndefined();
  });
});

describe('silicon compare scores rows beyond the speed of light apart', () => {
  const predict = (row: ReturnType<typeof aggRow>) =>
    predictRow(row, { systems, openDatabase: () => formulaDatabase() });

  it('checks rows with recorded clients, not rows without them', () => {
    const checked = predict(aggRow({}));
    expect(checked.failure).toBeUndefined();
    expect(checked.solUtilisation).toBeGreaterThan(0);
    const unrecorded = predict(aggRow({ silicon_data_source: 'no concurrency here' }));
    expect(unrecorded.failure).toBeUndefined();
    expect(unrecorded.solUtilisation).toBeUndefined();
  });

  it('records the load a row ran at and checks it, neither where disaggregated workers are assumed', () => {
    expect(predict(aggRow({ silicon_data_source: 'silicon_concurrency=32' })).clientsPerRank).toBe(32);
    const disagg = (workers: Record<string, string>) =>
      predict(
        SiliconRowSchema.parse({
          id: 'd1',
          silicon_data_source: 'silicon_concurrency=64',
          backend: 'vllm',
          model_path: 'meta-llama/Llama-3.1-8B-Instruct',
          system: 'h200_sxm',
          mode: 'disagg',
          isl: '1000',
          osl: '101',
          prefill_tp_size: '1',
          decode_tp_size: '1',
          silicon_ttft_ms: '100',
          silicon_tpot_ms: '20',
          ...workers,
        }),
      );
    const recorded = disagg({ prefill_num_workers: '1', decode_num_workers: '4' });
    expect(recorded.clientsPerRank).toBe(16);
    expect(recorded.solUtilisation).toBeGreaterThan(0);
    const assumed = disagg({});
    expect(assumed.failure).toBeUndefined();
    expect(assumed.clientsPerRank).toBeUndefined();
    expect(assumed.solUtilisation).toBeUndefined();
  });

  it('puts each row under its verdict, keeping every row in "all"', () => {
    const metrics = predictedMetrics(100, 10);
    const row = aggRow({});
    const report = scorePredictions([
      { row, metrics, ttftErrorPct: 10, tpotErrorPct: 1, solUtilisation: 0.5 },
      { row, metrics, ttftErrorPct: 90, tpotErrorPct: 200, solUtilisation: 1.5 },
      { row, metrics, ttftErrorPct: 30, tpotErrorPct: 3 },
    ]);
    const verdicts = report.partitions.filter((p) => p.partition === 'measurement');
    expect(verdicts.map((p) => [p.value, p.ttftMapePct, p.tpotMapePct])).toEqual([
      ['beyond speed of light', 90, 200],
      ['not checkable', 30, 3],
      ['within speed of light', 10, 1],
    ]);
    expect(report.partitions.find((p) => p.partition === 'all')!.predicted).toBe(3);
  });
});
