// CLI tests of the predicting commands against a real perf-data tree on disk (written here).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA_DIR } from '../../src/common/index.js';
import { boxValue } from '../helpers/box-value.js';
import { runCli } from '../helpers/run-cli.js';
import { llamaFixtureFlags, writeServingPerfData } from '../helpers/serving-perf-fixture.js';

let perfData = '';
const base = () => llamaFixtureFlags(perfData);
/** `default` on the fixture model: 2 GPUs, 2000 / 200 tokens. */
const twoGpuSearch = () => ['default', ...base(), '--gpus', '2', '--isl', '2000', '--osl', '200'];

beforeAll(() => {
  perfData = writeServingPerfData();
});

describe('inferplan estimate', () => {
  it('prints the metrics box for an aggregated deployment', async () => {
    const r = await runCli([
      'estimate',
      ...base(),
      '--tp',
      '2',
      '--batch-size',
      '16',
      '--isl',
      '2000',
      '--osl',
      '200',
    ]);
    expect(r.code).toBe(0);
    for (const label of ['TTFT', 'TPOT', 'tokens/s/gpu', 'memory per GPU', 'data behind it'])
      expect(r.stdout).toContain(label);
    // The embedded accuracy profile's vllm agg entry at this load (16 clients on one rank) is quoted.
    expect(boxValue(r.stdout, 'measured accuracy')).toMatch(
      /^vllm agg at 9-64 clients per rank, \d+ measured runs: TTFT error median [\d.]+%, p90 [\d.]+%.*TPOT median/,
    );
    // That sentence wraps inside the box, which fits a 100-column terminal.
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(r.stdout).toMatch(/tp2, batch 16/);
    // Where TTFT and TPOT go, the parts summing to the totals printed above them.
    const ttft = Number(/TTFT\s*│\s*([\d,.]+) ms/.exec(r.stdout)![1]!.replaceAll(',', ''));
    const parts = /serving stack ([\d,.]+) \+ queue ([\d,.]+) \+ prefill ([\d,.]+) ms/.exec(r.stdout);
    expect(parts).not.toBeNull();
    const sum = parts!.slice(1).reduce((acc, v) => acc + Number(v.replaceAll(',', '')), 0);
    expect(Math.abs(sum - ttft)).toBeLessThanOrEqual(0.2);
    expect(r.stdout).toMatch(/decode [\d.]+ \+ other requests' prefill [\d.]+ ms/);
  });

  it('quotes measured accuracy only for the formats the runs used (an fp8 KV cache was never run)', async () => {
    const args = ['estimate', '--model', 'Qwen/Qwen3-8B', '--system', 'h200_sxm', '--batch-size', '16'];
    const bf16 = await runCli(args);
    expect(bf16.code).toBe(0);
    expect(boxValue(bf16.stdout, 'measured accuracy')).toMatch(/serving loop on h200_sxm/);
    const fp8Gemm = await runCli([...args, '--gemm-quant', 'fp8']);
    expect(boxValue(fp8Gemm.stdout, 'measured accuracy')).toMatch(/serving loop on h200_sxm/);
    const fp8Kv = await runCli([...args, '--kv-quant', 'fp8', '--database-mode', 'hybrid']);
    expect(fp8Kv.code).toBe(0);
    expect(fp8Kv.stdout).not.toContain('measured accuracy');
  });

  it('--detail adds the per-op table with provenance and the memory breakdown', async () => {
    const r = await runCli([
      'estimate',
      ...base(),
      '--mode',
      'static',
      '--batch-size',
      '4',
      '--isl',
      '1000',
      '--osl',
      '100',
      '--detail',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/qkv_proj\s*│\s*32/);
    expect(r.stdout).toMatch(/generation_attention/);
    expect(r.stdout).toMatch(/% of SOL/);
    expect(r.stdout).toMatch(/weights\s*│\s*1[45]\.\d+ GiB/);
  });

  it('--json gives machine-readable metrics whose request latency adds up', async () => {
    const r = await runCli([
      '--json',
      'estimate',
      ...base(),
      '--mode',
      'disagg',
      '--p-tp',
      '1',
      '--d-tp',
      '2',
      '--d-batch',
      '32',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { metrics: Record<string, number> };
    const m = out.metrics;
    expect(m['gpus']).toBe(3);
    expect(m['request_latency_ms']).toBeCloseTo(m['ttft_ms']! + m['tpot_ms']! * 999, 3);
    const parts = (out.metrics as unknown as { ttft_parts_ms: Record<string, number> }).ttft_parts_ms;
    const sum = Object.values(parts).reduce((acc, v) => acc + v, 0);
    expect(sum).toBeCloseTo(m['ttft_ms']!, 6);
    expect(parts['hand_off']).toBeGreaterThan(0);
  });

  it('--enforce-eager prices decode steps without CUDA graphs on torch, and says it cannot elsewhere', async () => {
    const torch = ['--json', 'estimate', '--model', 'meta-llama/Llama-3.1-8B', '--system', 'h200_sxm'];
    const shape = ['--backend', 'torch', '--tp', '1', '--batch-size', '1', '--isl', '1024', '--osl', '128'];
    const tpot = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { metrics: Record<string, number> }).metrics['tpot_ms']!;
    const graphed = await runCli([...torch, ...shape]);
    const eager = await runCli([...torch, ...shape, '--enforce-eager']);
    expect(graphed.code).toBe(0);
    expect(eager.code).toBe(0);
    // One request on Llama-3.1-8B: eager decode is bound by launching each op from the host.
    expect(tpot(eager)).toBeGreaterThan(tpot(graphed) * 1.2);
    const vllm = await runCli(['--json', 'estimate', ...base(), '--tp', '1', '--batch-size', '4']);
    const vllmEager = await runCli([
      '--json',
      'estimate',
      ...base(),
      '--tp',
      '1',
      '--batch-size',
      '4',
      '--enforce-eager',
    ]);
    expect(vllmEager.stderr).toMatch(/warning: --enforce-eager changes nothing on vllm/);
    expect(tpot(vllmEager)).toBe(tpot(vllm));
  });

  it('--scheduler runs the estimate under another scheduler and says so; a bad one is a usage error', async () => {
    const torch = ['--json', 'estimate', '--model', 'meta-llama/Llama-3.1-8B', '--system', 'h200_sxm'];
    const shape = ['--tp', '1', '--batch-size', '32', '--isl', '1024', '--osl', '128'];
    type Out = { engine: { scheduler: string; cuda_graphs: boolean }; metrics: Record<string, number> };
    const mixed = JSON.parse((await runCli([...torch, ...shape])).stdout) as Out;
    const first = JSON.parse(
      (await runCli([...torch, ...shape, '--scheduler', 'prefill-first'])).stdout,
    ) as Out;
    expect(mixed.engine).toMatchObject({ scheduler: 'mixed', cuda_graphs: true });
    expect(first.engine).toMatchObject({ scheduler: 'prefill-first' });
    // Prompt steps that carry no decodes: decodes wait (TPOT up), prompts do not share (TTFT down).
    expect(first.metrics['tpot_ms']!).toBeGreaterThan(mixed.metrics['tpot_ms']!);
    expect(first.metrics['ttft_ms']!).toBeLessThan(mixed.metrics['ttft_ms']!);
    const text = await runCli(['estimate', ...torch.slice(2), ...shape, '--scheduler', 'prefill-first']);
    expect(boxValue(text.stdout, 'engine')).toBe(
      'prefill-first scheduler, chunked prefill, CUDA-graph decode',
    );
    const bad = await runCli([...torch, ...shape, '--scheduler', 'fifo']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scheduler must be one of mixed, prefill-first, got 'fifo'/);
  });

  it('warns when the GPU has no tensor cores for the format and prices it weight-only', async () => {
    const sol = [
      'estimate',
      '--model',
      'Qwen/Qwen3-32B',
      '--database-mode',
      'sol',
      '--tp',
      '1',
      '--batch-size',
      '4',
    ];
    const a100 = await runCli([...sol, '--system', 'a100_sxm', '--gemm-quant', 'fp8']);
    expect(a100.code).toBe(0);
    expect(a100.stderr).toMatch(
      /^warning: a100_sxm \(SM80\) has no fp8 tensor cores; gemm priced as weight-only/m,
    );
    const h200 = await runCli([...sol, '--system', 'h200_sxm', '--gemm-quant', 'fp8']);
    expect(h200.stderr).not.toMatch(/weight-only/);
  });

  it('names the rule an impossible parallel layout breaks', async () => {
    const r = await runCli(['estimate', ...base(), '--tp', '3']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/tp=3 does not divide 32 heads/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says by how much a configuration does not fit', async () => {
    const r = await runCli(['estimate', ...base(), '--batch-size', '512', '--isl', '32000', '--osl', '4000']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(
      /needs [\d.]+ GiB per GPU but [\d.]+ GiB are usable; at most batch \d+ fits this layout/,
    );
  });

  it('lists the known models for an unknown one', async () => {
    const r = await runCli([
      'estimate',
      '--model',
      'acme/Giant-9T',
      '--system',
      'h200_sxm',
      '--perf-data',
      perfData,
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/unknown model 'acme\/Giant-9T'; known: .*meta-llama\/Llama-3.1-8B/);
  });

  it('lists the known MoE routings for an unknown one', async () => {
    const r = await runCli(['estimate', ...base(), '--tp', '1', '--moe-distribution', 'zipf']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/unknown MoE distribution 'zipf'; known: random, balanced, power_law_1.01/);
  });

  it('silicon mode refuses a backend version with no data at all, listing what exists', async () => {
    const r = await runCli([
      'estimate',
      '--model',
      'meta-llama/Llama-3.1-8B',
      '--system',
      'h200_sxm',
      '--backend',
      'sglang',
      '--perf-data',
      perfData,
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/unknown backend for h200_sxm 'sglang'; known: vllm/);
  });
});

describe('inferplan default', () => {
  it('finds a best configuration and writes a complete save-dir', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'save-')), 'out');
    const r = await runCli([
      'default',
      ...base(),
      '--gpus',
      '4',
      '--isl',
      '2000',
      '--osl',
      '200',
      '--ttft',
      '1000',
      '--tpot',
      '20',
      '--save-dir',
      dir,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Best: (agg|disagg)/);
    expect(r.stdout).toMatch(/tokens\/s\/user/);
    // vLLM agg has measured runs in the embedded accuracy profile, vLLM disagg none.
    const best = /Best: (agg|disagg)/.exec(r.stdout)![1];
    if (best === 'agg')
      expect(r.stdout).toMatch(
        /Measured accuracy: vllm agg( at [\d+-]+ clients per rank)?, \d+ measured runs/,
      );
    else expect(r.stdout).not.toMatch(/Measured accuracy/);
    const files = readdirSync(dir).sort();
    for (const f of [
      'best-configs.csv',
      'experiment.yaml',
      'pareto-agg.csv',
      'pareto-disagg.csv',
      'pareto.svg',
      'summary.txt',
    ]) {
      expect(files).toContain(f);
    }
    expect(readFileSync(join(dir, 'pareto.svg'), 'utf8')).toMatch(/^<svg/);
    // The saved experiment re-runs through `exp`.
    const again = await runCli(['exp', join(dir, 'experiment.yaml')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('default');
  });

  it('searches replicas whose decode workers run on another system', async () => {
    const r = await runCli([
      'default',
      ...base(),
      '--gpus',
      '4',
      '--isl',
      '1000',
      '--osl',
      '100',
      '--decode-system',
      'h200_sxm',
      '--serving-mode',
      'disagg',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/on 4 x h200_sxm \(decode on h200_sxm\)/);
    expect(r.stdout).toMatch(/Best: disagg/);
  });

  it('explains an impossible SLA and exits with the SLA code', async () => {
    const r = await runCli([...twoGpuSearch(), '--ttft', '1', '--tpot', '0.5']);
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/No configuration meets the SLA\./);
    expect(r.stdout).toMatch(/TTFT missed by \d+, TPOT missed by \d+/);
  });

  it('searches under --scheduler and saves it in the re-runnable experiment', async () => {
    const search = [...twoGpuSearch(), '--serving-mode', 'agg'];
    const dir = join(mkdtempSync(join(tmpdir(), 'save-')), 'out');
    const mixed = await runCli(['--json', ...search]);
    const first = await runCli(['--json', ...search, '--scheduler', 'prefill-first', '--save-dir', dir]);
    expect(first.code).toBe(0);
    // Another scheduler, other aggregated numbers for the same search.
    const bestTpot = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { best: { tpot_ms: number } }).best.tpot_ms;
    expect(bestTpot(first)).not.toBe(bestTpot(mixed));
    // The report and the JSON say which scheduler the numbers assume.
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toMatch(/^engine: prefill-first scheduler, /m);
    expect((JSON.parse(first.stdout) as { engine: { scheduler: string } }).engine.scheduler).toBe(
      'prefill-first',
    );
    expect((JSON.parse(mixed.stdout) as { engine: { scheduler: string } }).engine.scheduler).toBe('mixed');
    expect(readFileSync(join(dir, 'experiment.yaml'), 'utf8')).toMatch(/^ {4}scheduler: prefill-first$/m);
    const again = await runCli(['--json', 'exp', join(dir, 'experiment.yaml')]);
    expect(again.code).toBe(0);
  });

  it('leaves no partial save-dir when the search fails', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'save-')), 'out');
    const r = await runCli([
      'default',
      ...base(),
      '--gpus',
      '1',
      '--isl',
      '900000',
      '--osl',
      '900000',
      '--save-dir',
      dir,
    ]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/fits no configuration on 1 x h200_sxm .*add GPUs, quantise/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('inferplan default --backend auto', () => {
  it('searches every backend with data for the system and reports the best', async () => {
    const root = writeServingPerfData(undefined, 'vllm');
    writeServingPerfData(root, 'torch');
    const r = await runCli([
      'default',
      '--model',
      'meta-llama/Llama-3.1-8B',
      '--system',
      'h200_sxm',
      '--backend',
      'auto',
      '--perf-data',
      root,
      '--gpus',
      '2',
      '--isl',
      '1000',
      '--osl',
      '100',
      '--serving-mode',
      'agg',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /backend auto: vllm [\d.]+ tok\/s\/gpu, torch [\d.]+ tok\/s\/gpu; best (vllm|torch)/,
    );
  });

  it('says where it looked when no backend has data for the system', async () => {
    const r = await runCli([
      'default',
      '--model',
      'meta-llama/Llama-3.1-8B',
      '--system',
      'b200_sxm',
      '--backend',
      'auto',
      '--perf-data',
      perfData,
      '--gpus',
      '2',
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/no perf data for b200_sxm/);
  });
});

describe('inferplan recommend', () => {
  it('sizes a deployment for a request rate', async () => {
    const r = await runCli([
      '--json',
      'recommend',
      ...base(),
      '--target-rate',
      '20',
      '--isl',
      '2000',
      '--osl',
      '200',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { recommendation: { gpus: number } };
    expect(out.recommendation.gpus).toBeGreaterThanOrEqual(1);
  });

  it('needs exactly one target', async () => {
    const r = await runCli(['recommend', ...base()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--target-rate R or --target-concurrency C/);
  });
});

describe('inferplan silicon compare', () => {
  it('predicts every good row, reports errors per partition and skips a malformed row', async () => {
    const header =
      'id,silicon_data_source,backend,backend_version,model_path,system,precision,mode,isl,osl,gemm_quant_mode,moe_quant_mode,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,silicon_ttft_ms,silicon_tpot_ms';
    const lines = [
      header,
      'a,silicon_concurrency=8,vllm,0.1.0,meta-llama/Llama-3.1-8B-Instruct,h200_sxm,,agg,1024,128,,,8,1,1,1,1,0,50,6',
      'b,silicon_concurrency=32,vllm,0.1.0,meta-llama/Llama-3.1-8B-Instruct,h200_sxm,,agg,2048,256,,,32,2,1,1,2,1,200,8',
      'c,silicon_concurrency=4,vllm,0.1.0,acme/Unknown,h200_sxm,,agg,1024,128,,,4,1,1,1,1,1,50,6',
      'd,silicon_concurrency=4,vllm,0.1.0,meta-llama/Llama-3.1-8B,h200_sxm,,agg,notanumber,128,,,4,1,1,1,1,1,50,6',
    ];
    const dir = mkdtempSync(join(tmpdir(), 'silicon-'));
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const out = join(dir, 'pred.csv');
    const r = await runCli([
      'silicon',
      'compare',
      csv,
      '--perf-data',
      perfData,
      '--database-mode',
      'silicon',
      '--out',
      out,
      '--save-accuracy',
      join(dir, 'accuracy.json'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/rows\.csv:5: column 'isl'/);
    // The accuracy profile holds one entry per backend and mode predicted: here vllm agg, 2 rows.
    const profile = JSON.parse(readFileSync(join(dir, 'accuracy.json'), 'utf8'));
    expect(profile).toMatchObject({
      measurements: 'rows.csv',
      entries: [{ backend: 'vllm', mode: 'agg', rows: 2 }],
    });
    expect(r.stdout).toMatch(/coverage: 66\.7% of 3 rows \(1 malformed rows skipped\)/);
    // Failures group by what went wrong, naming the model.
    expect(r.stdout).toMatch(/│ 1 +│ unknown model 'acme\/Unknown'.*│ c +│/);
    const predictions = readFileSync(out, 'utf8').trim().split('\n');
    expect(predictions).toHaveLength(4);
    expect(predictions[1]).toMatch(/^a,h200_sxm,vllm/);
  });

  it('reads several CSVs as one set and refuses a row id repeated across them', async () => {
    const header =
      'id,silicon_data_source,backend,backend_version,model_path,system,precision,mode,isl,osl,gemm_quant_mode,moe_quant_mode,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,silicon_ttft_ms,silicon_tpot_ms';
    const row = (id: string, clients: number) =>
      `${id},silicon_concurrency=${clients},vllm,0.1.0,meta-llama/Llama-3.1-8B-Instruct,h200_sxm,,agg,1024,128,,,${clients},1,1,1,1,0,50,6`;
    const dir = mkdtempSync(join(tmpdir(), 'silicon-sets-'));
    const first = join(dir, 'sweep.csv');
    const second = join(dir, 'follow-up.csv');
    const clash = join(dir, 'clash.csv');
    writeFileSync(first, `${header}\n${row('a', 8)}\n${row('b', 16)}\n`);
    writeFileSync(second, `${header}\n${row('c', 32)}\n`);
    writeFileSync(clash, `${header}\n${row('a', 4)}\n`);
    const flags = ['--perf-data', perfData, '--database-mode', 'silicon'];
    const accuracy = join(dir, 'accuracy.json');
    const charts = join(dir, 'charts');
    const r = await runCli([
      'silicon',
      'compare',
      first,
      second,
      ...flags,
      '--save-accuracy',
      accuracy,
      '--charts',
      charts,
    ]);
    expect(r.code).toBe(0);
    // One chart per metric, every predicted row a dot of its backend and mode.
    expect(readdirSync(charts).sort()).toEqual(['tpot.svg', 'ttft.svg']);
    const ttft = readFileSync(join(charts, 'ttft.svg'), 'utf8');
    expect(ttft).toMatch(/TTFT: predicted vs measured/);
    expect(ttft).toMatch(/3 rows, MAPE [\d.]+%, sweep\.csv, follow-up\.csv/);
    expect(ttft).toMatch(/data-name="vllm agg \(3, MAPE [\d.]+%\)"/);
    expect(readFileSync(join(charts, 'tpot.svg'), 'utf8')).toMatch(/\+-10%/);
    expect(r.stdout).toMatch(/coverage: 100\.0% of 3 rows/);
    expect(JSON.parse(readFileSync(accuracy, 'utf8'))).toMatchObject({
      measurements: 'sweep.csv, follow-up.csv',
      entries: [{ backend: 'vllm', mode: 'agg', rows: 3 }],
    });
    const refused = await runCli(['silicon', 'compare', first, clash, ...flags]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/clash\.csv: row id 'a' is also in .*sweep\.csv; ids must be unique/);
    const twice = await runCli(['silicon', 'compare', first, first, ...flags]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/sweep\.csv is given twice; name each file once/);
    // An output over an input would replace the measurements with predictions: refused, kept.
    const before = readFileSync(first, 'utf8');
    const over = await runCli(['silicon', 'compare', first, second, ...flags, '--out', second]);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/--out .*follow-up\.csv is one of the input files; write to another path/);
    expect(readFileSync(first, 'utf8')).toBe(before);
    // Nothing to predict is an error, not a table of zeros.
    const headerOnly = join(dir, 'empty.csv');
    writeFileSync(headerOnly, `${header}\n`);
    const empty = await runCli(['silicon', 'compare', headerOnly, ...flags]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toMatch(/empty\.csv: no rows to predict/);
    const unmatched = await runCli(['silicon', 'compare', first, ...flags, '--filter', 'zzz']);
    expect(unmatched.code).toBe(3);
    expect(unmatched.stderr).toMatch(/--filter 'zzz' matches no row id of 2 rows/);
    const ratio = await runCli(['silicon', 'compare', first, ...flags, '--length-ratio', '2']);
    expect(ratio.code).toBe(2);
    expect(ratio.stderr).toMatch(/--length-ratio must be in \(0, 1\]/);
  });
});

describe('inferplan silicon reference', () => {
  let root = '';
  beforeAll(() => {
    root = writeServingPerfData(undefined, 'torch');
  });
  // A measurement file in a fresh folder, so files of the same name never meet.
  const referenceCsv = (name: string, text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'reference-')), name);
    writeFileSync(file, text);
    return file;
  };

  it('predicts recorded whole-step measurements from the torch tables and reports the error', async () => {
    const csv = referenceCsv(
      'steps.csv',
      [
        'device,torch,date,model,tp,phase,batch,isl,kv,layers,latency_ms',
        'NVIDIA H200,2.11.0,2026-11-23,meta-llama/Llama-3.1-8B,1,prefill,1,1024,0,32,30',
        'NVIDIA H200,2.11.0,2026-11-23,meta-llama/Llama-3.1-8B,1,decode,8,1,1024,4,1.5',
      ].join('\n'),
    );
    const r = await runCli(['--json', 'silicon', 'reference', csv, '--perf-data', root]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { predictedMs: number; measuredMs: number; layers: number }[];
    expect(rows).toHaveLength(2);
    const twice = await runCli(['silicon', 'reference', csv, csv, '--perf-data', root]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/steps\.csv is given twice; name each file once/);
    // Four layers cost far less than thirty-two: the prediction follows the layers the run used.
    expect(rows[1]!.predictedMs).toBeGreaterThan(0);
    expect(rows[0]!.predictedMs).toBeGreaterThan(rows[1]!.predictedMs);
    const text = await runCli(['silicon', 'reference', csv, '--perf-data', root]);
    expect(text.stdout).toMatch(/mean absolute error [\d.]+% over 2 steps/);
    const headerOnly = referenceCsv(
      'none.csv',
      'device,torch,date,model,tp,phase,batch,isl,kv,layers,latency_ms\n',
    );
    const none = await runCli([
      'silicon',
      'reference',
      headerOnly,
      '--perf-data',
      root,
      '--save-accuracy',
      join(dirname(headerOnly), 'a.json'),
    ]);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/none\.csv: no reference steps to predict/);
    expect(existsSync(join(dirname(headerOnly), 'a.json'))).toBe(false);
  });

  it('reads several files and saves their step accuracy', async () => {
    const header = 'model,tp,phase,batch,isl,kv,layers,latency_ms';
    const a = referenceCsv('a.csv', `${header}\nmeta-llama/Llama-3.1-8B,1,prefill,1,1024,0,32,30\n`);
    const b = referenceCsv('b.csv', `${header}\nmeta-llama/Llama-3.1-8B,1,decode,8,1,1024,4,1.5\n`);
    const out = join(dirname(a), 'steps.json');
    const r = await runCli(['silicon', 'reference', a, b, '--perf-data', root, '--save-accuracy', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/over 2 steps/);
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    expect(saved).toMatchObject({
      backend: 'torch',
      system: 'h200_sxm',
      steps: 2,
      measurements: ['a.csv', 'b.csv'],
    });
    // Two steps: the median is the mean of their absolute errors, rounded to 0.1%.
    const json = await runCli(['--json', 'silicon', 'reference', a, b, '--perf-data', root]);
    const rows = JSON.parse(json.stdout) as { measuredMs: number; predictedMs: number }[];
    const errors = rows.map((x) => Math.abs(x.predictedMs / x.measuredMs - 1) * 100);
    expect(saved.median_ape_pct).toBeCloseTo((errors[0]! + errors[1]!) / 2, 1);
    expect(saved.p90_ape_pct).toBeCloseTo(Math.max(...errors), 1);
  });

  it('with no files, predicts the shipped H200 steps behind the torch step accuracy', async () => {
    const r = await runCli(['--json', 'silicon', 'reference']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { measuredMs: number; predictedMs: number }[];
    const shipped = JSON.parse(readFileSync(join(DATA_DIR, 'accuracy', 'torch-steps.json'), 'utf8'));
    expect(rows).toHaveLength(shipped.steps);
    const errors = rows.map((x) => Math.abs(x.predictedMs / x.measuredMs - 1) * 100).sort((a, b) => a - b);
    const n = errors.length;
    const median = n % 2 ? errors[(n - 1) / 2]! : (errors[n / 2 - 1]! + errors[n / 2]!) / 2;
    // The shipped figure is the median of these very steps with the shipped tables.
    expect(Math.abs(median - shipped.median_ape_pct)).toBeLessThan(0.051);
  });

  it('silicon run refuses an unknown phase before touching a GPU', async () => {
    const r = await runCli(['silicon', 'run', '--model', 'meta-llama/Llama-3.1-8B', '--phase', 'sideways']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--phase must be prefill, decode or mixed, got 'sideways'/);
  });

  it('names the file, line and column of a bad row', async () => {
    const csv = referenceCsv(
      'bad.csv',
      'model,tp,phase,batch,isl,kv,layers,latency_ms\nmeta-llama/Llama-3.1-8B,1,sideways,1,1,0,32,1\n',
    );
    const r = await runCli(['silicon', 'reference', csv, '--perf-data', root]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.csv:2: column 'phase'/);
  });

  it('reads attention-DP steps (dp column) of MoE models', async () => {
    const csv = referenceCsv(
      'dp.csv',
      'model,tp,dp,phase,batch,isl,kv,layers,latency_ms,distribution\n' +
        'Qwen/Qwen3-30B-A3B,1,2,decode,32,1,2048,48,20,random\n' +
        'Qwen/Qwen3-30B-A3B,2,,decode,32,1,2048,48,20,random\n',
    );
    const r = await runCli(['--json', 'silicon', 'reference', csv]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { dp?: number; tp: number; predictedMs: number }[];
    expect(rows[0]).toMatchObject({ tp: 1, dp: 2 });
    expect(rows[1]!.dp).toBeUndefined();
    // Attention DP gathers both ranks' tokens for the experts: not the TP 2 step.
    expect(rows[0]!.predictedMs).not.toBeCloseTo(rows[1]!.predictedMs, 3);
  });

  it('names the file and line of an unknown model', async () => {
    const csv = referenceCsv(
      'unknown.csv',
      'model,tp,phase,batch,isl,kv,layers,latency_ms\nacme/NoSuchModel-7B,1,decode,8,1,1024,4,1.5\n',
    );
    const r = await runCli(['silicon', 'reference', csv, '--perf-data', root]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unknown\.csv:2: column 'model': .*NoSuchModel/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a mixed step without its kv length', async () => {
    const csv = referenceCsv(
      'mixed.csv',
      'model,tp,phase,batch,isl,kv,layers,latency_ms\nmeta-llama/Llama-3.1-8B,1,mixed,8,512,0,32,20\n',
    );
    const r = await runCli(['silicon', 'reference', csv, '--perf-data', root]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/mixed\.csv:2: column 'kv': decode and mixed steps need kv > 0/);
  });

  it('reads the routing a MoE reference run used and refuses an unknown one', async () => {
    const header = 'model,tp,phase,batch,isl,kv,layers,latency_ms,distribution';
    const good = referenceCsv(
      'good.csv',
      `${header}\nmeta-llama/Llama-3.1-8B,1,decode,8,1,1024,4,1.5,balanced\n`,
    );
    const ok = await runCli(['--json', 'silicon', 'reference', good, '--perf-data', root]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)[0]).toMatchObject({ distribution: 'balanced' });
    const bad = referenceCsv('bad.csv', `${header}\nmeta-llama/Llama-3.1-8B,1,decode,8,1,1024,4,1.5,zipf\n`);
    const r = await runCli(['silicon', 'reference', bad, '--perf-data', root]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.csv:2: column 'distribution'/);
  });
});
