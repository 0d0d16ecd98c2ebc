// How long `estimate` takes once the process has started: open the database, build an estimator
// and predict one aggregated and one disaggregated deployment, cold caches each round.
// Usage: npm run bench -- estimate-speed [--perf-data DIR --backend B --database-mode M] [--rounds N]
import { buildContext } from '../src/cli/deployment-context.js';
import { createEstimator, type Workload } from '../src/serving/index.js';
import { optionValue } from './bench-options.js';

export async function run(args: string[]): Promise<void> {
  const rounds = Number(optionValue(args, '--rounds', '20'));
  const flags = {
    model: optionValue(args, '--model', 'Qwen/Qwen3-32B'),
    system: optionValue(args, '--system', 'h200_sxm'),
    backend: optionValue(args, '--backend', 'torch'),
    databaseMode: optionValue(args, '--database-mode', 'silicon'),
    ...(args.includes('--perf-data') ? { perfData: optionValue(args, '--perf-data', '') } : {}),
  };
  let started = performance.now();
  const ctx = await buildContext(flags);
  const openMs = performance.now() - started;
  const workload: Workload = { isl: 4000, osl: 1000, prefix: 0, nextn: 0, nextnAccept: 0 };
  const tp2 = { tp: 2, pp: 1, attentionDp: 1, moeTp: 2, moeEp: 1 };
  const times = { agg: [] as number[], disagg: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    // A fresh estimator each round: no step latency is cached from the previous one.
    const estimator = createEstimator({
      model: ctx.model,
      system: ctx.system,
      db: ctx.db,
      quant: ctx.quant,
      backend: ctx.backend,
    });
    started = performance.now();
    estimator.estimate({ mode: 'agg', parallel: tp2, batchSize: 64, ctxTokens: 8192 }, workload);
    times.agg.push(performance.now() - started);
    started = performance.now();
    estimator.estimate(
      {
        mode: 'disagg',
        prefill: { parallel: { ...tp2, tp: 1, moeTp: 1 }, batchSize: 1, workers: 3 },
        decode: { parallel: tp2, batchSize: 128, workers: 1 },
      },
      workload,
    );
    times.disagg.push(performance.now() - started);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const rows = [
    ['open database + model (first time)', `${openMs.toFixed(1)} ms`, '-'],
    ['agg estimate, batch 64 (cold estimator, median)', `${median(times.agg).toFixed(1)} ms`, '< 100 ms'],
    ['disagg estimate (cold estimator, median)', `${median(times.disagg).toFixed(1)} ms`, '< 100 ms'],
  ];
  process.stdout.write(
    `${flags.model} on ${flags.system}, ${ctx.backend} ${ctx.db.version} (${ctx.db.mode}), ${rounds} rounds\n`,
  );
  for (const [what, value, target] of rows)
    process.stdout.write(`${what!.padEnd(50)} ${value!.padStart(10)}  target ${target}\n`);
}
