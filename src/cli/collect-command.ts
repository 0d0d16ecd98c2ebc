// `inferplan collect`: plan and run a GPU collection campaign (and `collect shard` / `collect merge`).
import type { Command } from 'commander';
import {
  type CampaignReport,
  COLLECTOR_VERSION,
  CollectFlagsSchema,
  chartsFor,
  collectorCodeHash,
  collectorGitSha,
  createProgressDisplay,
  defaultWorkerCommand,
  loadPlanFile,
  mergeCollections,
  renderShardManifest,
  resolveCollect,
  resolveShardRequest,
  runCampaign,
  runQualityGates,
  SHARD_TARGETS,
  type ShardTarget,
  savePlanFile,
  slurmLogDir,
  summarizePlans,
} from '../collect/index.js';
import { CollectFailedError, makeFoldersSync, UsageError, writeFileAtomicSync } from '../common/index.js';
import { renderTable } from '../report/index.js';
import { type GlobalOptions, printJson } from './run-command.js';

const collectList = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerCollectCommand(program: Command, globals: () => GlobalOptions): void {
  const collect = program
    .command('collect')
    .description('measure per-op GPU latency tables (one worker per GPU; resumable)')
    .option('--backend <name>', 'backend whose kernels are measured', 'torch')
    .option(
      '--ops <list>',
      'ops to collect (gemm,context_attention,generation_attention,moe,elementwise,nccl)',
    )
    .option('--smoke', 'a few shuffled cases per op', false)
    .option('--limit <n>', 'at most n cases per op')
    .option('--shuffle', 'shuffle cases (fixed seed)', false)
    .option('--seed <n>', 'seed for --shuffle and --smoke', '1')
    .option(
      '--case-filter <s>',
      "only cases whose params equal every comma-separated name=value, e.g. 'n=4096,k=4096'",
    )
    .option('--plan-only', 'print the case plan (counts per op, estimated duration) and exit', false)
    .option('--model <id>', 'model-driven plan: only shapes this model needs (repeatable)', collectList)
    .option('--tp <list>', 'tensor-parallel sizes for --model', '1')
    .option('--grid <size>', 'generic grid size: full (upstream scale) or compact', 'full')
    .option('--out <dir>', 'output root (<out>/<system>/<backend>/<version>/)', 'collected')
    .option('--checkpoint-dir <dir>', 'checkpoints (default <out>/.checkpoints/<backend>)')
    .option('--resume', 'continue from the checkpoints of an identical earlier run', false)
    .option('--resume-retry-failed', 'with --resume: run the failed cases again', false)
    .option('--measure-power', 'sample NVML power while timing (adds power, power_limit)', false)
    .option('--gpus <list>', 'CUDA device ids to use, one worker each', '0')
    .option('--case-timeout-s <s>', 'kill a worker whose case runs longer than this', '120')
    .option('--hello-timeout-s <s>', 'give up on a worker that does not start within this', '180')
    .option('--worker <cmd>', 'worker command (default: python3 workers/torch/worker.py)')
    .option('--system <name>', 'system name for the output folder (default: from the device name)')
    .option('--replace', 'replace existing tables instead of merging rows into them', false)
    .option(
      '--skip-existing',
      'do not run cases whose row is already in the output table (not with --replace)',
      false,
    )
    .option('--recycle-after <n>', 'restart a worker after n cases (0 = never)', '0')
    .option('--no-charts', 'skip the sanity charts and quality gates after the campaign')
    .option('--save-plan <file>', 'with --plan-only: save the case plan for `collect shard` / --plan-file')
    .option('--plan-file <file>', 'run the cases of a saved plan instead of building one')
    .option('--shards <n>', 'with --shard-index: split each op of the plan into n shards')
    .option('--shard-index <k>', 'run shard k (0-based) of --shards')
    .action(async (raw: Record<string, unknown>) => {
      const flags = CollectFlagsSchema.parse({ ...raw, model: raw['model'] });
      const resolved = resolveCollect(flags);
      const json = globals().json;
      if (flags.planOnly) {
        if (flags.savePlan) savePlanFile(flags.savePlan, flags.backend, resolved.plans);
        const rows = summarizePlans(resolved.plans, resolved.gpus.length);
        if (json) return printJson({ ops: rows, gpus: resolved.gpus });
        const total = rows.reduce((s, r) => s + r.estimatedS, 0);
        process.stdout.write(
          renderTable(
            ['op', 'cases', 'estimated', 'plan hash'],
            [
              ...rows.map((r) => [r.op, String(r.cases), formatDuration(r.estimatedS), r.hash]),
              ['total', String(rows.reduce((s, r) => s + r.cases, 0)), formatDuration(total), ''],
            ],
          ),
        );
        return;
      }
      const progress = createProgressDisplay();
      // SIGINT / SIGTERM: finish the cases in flight, write partial tables, keep checkpoints.
      const stop = new AbortController();
      const onSignal = (name: string) => () => {
        process.stderr.write(`[collect] ${name}: stopping after the cases in flight (send again to abort)\n`);
        stop.abort();
      };
      const onInt = onSignal('SIGINT');
      const onTerm = onSignal('SIGTERM');
      process.once('SIGINT', onInt);
      process.once('SIGTERM', onTerm);
      let report: CampaignReport;
      try {
        report = await runCampaign({
          backend: 'torch',
          plans: resolved.plans,
          outDir: resolved.outDir,
          checkpointDir: resolved.checkpointDir,
          // --resume-retry-failed is a resume that also re-runs the failures (docs/collector.md).
          resume: flags.resume || flags.resumeRetryFailed,
          resumeRetryFailed: flags.resumeRetryFailed,
          measurePower: flags.measurePower,
          gpus: resolved.gpus,
          caseTimeoutS: resolved.caseTimeoutS,
          helloTimeoutS: resolved.helloTimeoutS,
          workerCommand: resolved.workerCommand ?? defaultWorkerCommand(),
          ...(flags.system ? { system: flags.system } : {}),
          replaceTables: flags.replace,
          skipExisting: flags.skipExisting,
          recycleAfter: resolved.recycleAfter,
          provenance: {
            collectorVersion: COLLECTOR_VERSION,
            gitSha: collectorGitSha(),
            codeHash: collectorCodeHash(),
          },
          onEvent: progress.onEvent,
          signal: stop.signal,
        });
      } finally {
        progress.stop();
        process.removeListener('SIGINT', onInt);
        process.removeListener('SIGTERM', onTerm);
      }
      if (json) printJson(report);
      else {
        process.stdout.write(
          renderTable(
            ['op', 'planned', 'done', 'failed', 'transient', 'status', 'table'],
            report.ops.map((o) => [
              o.op,
              String(o.planned),
              String(o.done),
              String(o.failed),
              String(o.transient),
              o.status,
              o.tablePath ?? '-',
            ]),
          ),
        );
        const o = report.overhead;
        process.stdout.write(
          `cases run ${o.cases} in ${o.wallS.toFixed(1)} s wall; timed GPU ${o.timedS.toFixed(1)} s, ` +
            `worker per-case ${o.workerCaseS.toFixed(1)} s, parent per-case ${o.parentCaseS.toFixed(1)} s, ` +
            `worker starts ${o.workerStarts}\n`,
        );
        if (report.summaryPath) process.stdout.write(`summary: ${report.summaryPath}\n`);
      }
      if (flags.charts && report.outputDir && report.system) {
        const charts = chartsFor(report.outputDir, report.system);
        const above = charts.filter((c) => c.aboveSol > 0).map((c) => `${c.table} ${c.aboveSol}`);
        const gates = await runQualityGates(resolved.outDir, report.outputDir);
        if (!json)
          process.stdout.write(
            `sanity charts: ${charts.length} tables in ${report.outputDir}/charts` +
              (above.length ? ` (rows above SOL: ${above.join(', ')})` : '') +
              `\nquality gates: ${gates.pass} pass, ${gates.warn} warn, ${gates.fail} fail (${gates.path})\n` +
              gates.failures.map((f) => `  fail: ${f}\n`).join(''),
          );
      }
      if (report.failedOps.length > 0)
        throw new CollectFailedError(
          `ops failed as a whole: ${report.failedOps.join(', ')} (the other ops' tables were written; see errors_<op>.json${report.outputDir ? ` in ${report.outputDir}` : ''})`,
        );
    });
  collect
    .command('shard')
    .description('render a sharded campaign for a cluster: Kubernetes Indexed Job or Slurm job array')
    .requiredOption('--plan <file>', 'saved plan (collect --plan-only --save-plan FILE)')
    .option('--shards <n>', 'number of shards')
    .option('--target <k8s|slurm>', 'scheduler', 'k8s')
    .option('--gpus-per-shard <n>', 'GPUs each shard owns', '1')
    .option(
      '--results-dir <dir>',
      'where shards write (shared storage; default k8s <mount-path>/results, slurm ./collect-results)',
    )
    .option(
      '--plan-path <path>',
      'the plan path as shards see it (default k8s <mount-path>/<plan file name>, slurm the absolute --plan)',
    )
    .option('--name <name>', 'job name', 'inferplan-collect')
    .option('--image <image>', 'k8s: container image with inferplan and the torch worker')
    .option('--namespace <ns>', 'k8s namespace')
    .option('--volume-claim <pvc>', 'k8s: PersistentVolumeClaim holding the plan and results')
    .option('--mount-path <path>', 'k8s: where the claim is mounted', '/data')
    .option('--partition <p>', 'slurm partition')
    .option('--time <t>', 'slurm time limit, e.g. 24:00:00')
    .option('--out <file>', 'write the manifest here instead of stdout')
    .action((own: Record<string, string | undefined>) => {
      const flags: Record<string, string | undefined> = {
        ...own,
        shards: own['shards'] ?? parentFlag(collect, 'shards'),
        out: own['out'] ?? parentFlag(collect, 'out'),
      };
      if (!flags['shards']) throw new UsageError('collect shard needs --shards <n>');
      const target = flags['target'] ?? 'k8s';
      if (!(SHARD_TARGETS as readonly string[]).includes(target))
        throw new UsageError(`--target must be one of ${SHARD_TARGETS.join(', ')}, got '${target}'`);
      const plan = flags['plan'] as string;
      // A broken or empty plan fails here, not on the cluster.
      if (!loadPlanFile(plan, '--plan').plans.some((p) => p.cases.length > 0))
        throw new UsageError(`--plan ${plan} holds no cases; save a plan that has some`);
      const { options, notes } = resolveShardRequest({
        target: target as ShardTarget,
        plan,
        shards: Number(flags['shards']),
        gpusPerShard: Number(flags['gpusPerShard'] ?? '1'),
        name: flags['name'] ?? 'inferplan-collect',
        ...(flags['planPath'] ? { planPath: flags['planPath'] } : {}),
        ...(flags['resultsDir'] ? { resultsDir: flags['resultsDir'] } : {}),
        ...(flags['image'] ? { image: flags['image'] } : {}),
        ...(flags['namespace'] ? { namespace: flags['namespace'] } : {}),
        ...(flags['volumeClaim'] ? { volumeClaim: flags['volumeClaim'] } : {}),
        ...(flags['mountPath'] ? { mountPath: flags['mountPath'] } : {}),
        ...(flags['partition'] ? { partition: flags['partition'] } : {}),
        ...(flags['time'] ? { timeLimit: flags['time'] } : {}),
      });
      const text = renderShardManifest(options);
      if (options.target === 'slurm') {
        // Slurm opens each task's --output file before the script runs, so its folder must exist
        // at submit time; from here it does where the results folder is shared with the nodes.
        const logs = slurmLogDir(options);
        try {
          makeFoldersSync(logs);
        } catch (error) {
          notes.push(
            `warning: ${(error as Error).message.split(';')[0]}; create ${logs} where the jobs run before sbatch (Slurm writes the task logs there)`,
          );
        }
      }
      for (const note of notes) process.stderr.write(`${note}\n`);
      if (flags['out']) {
        writeFileAtomicSync(flags['out'], text);
        process.stdout.write(`wrote ${flags['out']}\n`);
      } else process.stdout.write(text);
    });

  collect
    .command('merge')
    .description('merge shard or campaign outputs: de-duplicate rows by key, join provenance, check rows')
    .argument('<dirs...>', 'output folders of shards / campaigns')
    .option('--out <dir>', 'merged output root')
    .action((dirs: string[], own: { out?: string }) => {
      const out = own.out ?? parentFlag(collect, 'out');
      if (!out) throw new UsageError('collect merge needs --out <dir>');
      const report = mergeCollections(dirs, out);
      if (globals().json) return printJson(report);
      process.stdout.write(
        renderTable(
          ['folder', 'table', 'rows', 'duplicates', 'inputs'],
          report.tables.map((t) => [
            t.relDir,
            t.file,
            String(t.rows),
            String(t.duplicates),
            String(t.inputs),
          ]),
        ),
      );
    });
}

/**
 * commander hands flags that `collect` itself also defines (--shards, --out) to `collect`, even
 * after a subcommand name: read them back from there when the user typed them.
 */
function parentFlag(parent: Command, name: string): string | undefined {
  if (parent.getOptionValueSource(name) !== 'cli') return undefined;
  const value = parent.opts<Record<string, unknown>>()[name];
  return typeof value === 'string' ? value : undefined;
}

function formatDuration(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(1)} min`;
  return `${seconds.toFixed(0)} s`;
}
