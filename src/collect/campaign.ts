// A collection campaign: one worker per GPU pulling from a shared queue, per-case timeouts,
// worker restarts after crashes, one retry for retryable failures, completion counted here
// (a set of finished ids per op), and this process as the single writer of every output.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFoldersSync, writeFileAtomicSync } from '../common/index.js';
import type { CollectCase } from './case-params.js';
import type { OpPlan } from './case-plan.js';
import { type CheckpointMeta, type FailureRecord, OpCheckpoint, type RowRecord } from './checkpoint.js';
import {
  classifyAnswer,
  isRetryable,
  type OpSummary,
  summarizeOp,
  writeErrorsFile,
} from './failure-ledger.js';
import { type CollectOp, OP_REGISTRY, type OpSpec } from './op-registry.js';
import { frameworkVersionLabel, systemForDevice } from './system-naming.js';
import {
  type CsvRow,
  readTable,
  recordToRow,
  rowKey,
  type TableMeta,
  tablePath,
  writeCollectionMeta,
  writeTable,
} from './table-writer.js';
import { WorkerProcess } from './worker-process.js';
import type { WorkerHello } from './worker-protocol.js';

export interface CampaignProvenance {
  readonly collectorVersion: string;
  readonly gitSha: string;
  readonly codeHash: string;
}

export interface CampaignOptions {
  readonly backend: 'torch';
  readonly plans: readonly OpPlan[];
  readonly outDir: string;
  readonly checkpointDir: string;
  readonly resume: boolean;
  readonly resumeRetryFailed: boolean;
  readonly measurePower: boolean;
  /** CUDA device ids this campaign owns, e.g. ['0', '1']. */
  readonly gpus: readonly string[];
  readonly caseTimeoutS: number;
  readonly helloTimeoutS: number;
  readonly workerCommand: readonly string[];
  /** Override the system name derived from the device. */
  readonly system?: string;
  readonly replaceTables?: boolean;
  /** Leave out cases whose row (same key) is already in the output table. */
  readonly skipExisting?: boolean;
  /** Restart a worker after this many cases to free memory (0 = never). */
  readonly recycleAfter?: number;
  /** Consecutive failed starts after which a GPU is given up. */
  readonly maxStartFailures?: number;
  readonly provenance: CampaignProvenance;
  readonly onEvent?: (event: CampaignEvent) => void;
  /** Stop taking new cases (in-flight ones finish), then package what is done as partial. */
  readonly signal?: AbortSignal;
}

export type CampaignEvent =
  | { readonly type: 'plan'; readonly op: CollectOp; readonly total: number; readonly alreadyDone: number }
  | { readonly type: 'case'; readonly op: CollectOp; readonly outcome: 'done' | 'failed' | 'retry' }
  | { readonly type: 'worker'; readonly gpu: string; readonly message: string };

export interface OpReport extends OpSummary {
  readonly tablePath?: string;
  readonly tableRows?: number;
  readonly errorsPath?: string;
  readonly skippedAlreadyDone: number;
}

export interface OverheadReport {
  readonly wallS: number;
  readonly cases: number;
  /** GPU time inside timed loops, summed over cases. */
  readonly timedS: number;
  /** Time the workers spent per case (setup + warm-up + timing), summed. */
  readonly workerCaseS: number;
  /** Time from sending a case to its answer, seen by this process, summed. */
  readonly parentCaseS: number;
  readonly workerStarts: number;
}

export interface CampaignReport {
  readonly outputDir: string | undefined;
  readonly system: string | undefined;
  readonly frameworkVersion: string | undefined;
  readonly hello: WorkerHello | undefined;
  readonly ops: readonly OpReport[];
  readonly failedOps: readonly CollectOp[];
  readonly summaryPath: string | undefined;
  readonly overhead: OverheadReport;
}

interface QueueItem {
  readonly c: CollectCase;
  readonly op: CollectOp;
  attempt: number;
  firstFailure?: FailureRecord;
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const emit = options.onEvent ?? (() => {});
  makeFoldersSync(options.checkpointDir);
  const logDir = join(options.checkpointDir, 'logs');
  const stats = { timedMs: 0, workerCaseMs: 0, parentCaseMs: 0, cases: 0, starts: 0 };

  const startWorker = async (gpu: string, visible: string): Promise<WorkerProcess | undefined> => {
    stats.starts++;
    const { worker, hello, failure } = await WorkerProcess.start({
      command: options.workerCommand,
      visibleDevices: visible,
      logPath: join(logDir, `worker-gpu${gpu}.log`),
      helloTimeoutS: options.helloTimeoutS,
    });
    if (!hello) {
      emit({ type: 'worker', gpu, message: `worker failed to start: ${failure}` });
      return undefined;
    }
    firstHello ??= hello;
    return worker;
  };

  let firstHello: WorkerHello | undefined;
  const singleGpuPlans = options.plans.filter((p) => !OP_REGISTRY[p.op].usesAllGpus);
  const allGpuPlans = options.plans.filter((p) => OP_REGISTRY[p.op].usesAllGpus);

  // Start one worker per GPU first: the first hello fixes the environment every checkpoint is bound to.
  const workers = new Map<string, WorkerProcess | undefined>();
  const needSingle = singleGpuPlans.some((p) => p.cases.length > 0);
  if (needSingle) {
    const started = await Promise.all(options.gpus.map((gpu) => startWorker(gpu, gpu)));
    options.gpus.forEach((gpu, i) => {
      workers.set(gpu, started[i]);
    });
  }
  let ncclWorker: WorkerProcess | undefined;
  if (!firstHello && allGpuPlans.some((p) => p.cases.length > 0)) {
    ncclWorker = await startWorker(options.gpus.join('+'), options.gpus.join(','));
  }
  const hello = firstHello;
  const output = hello ? outputLocation(options, hello) : undefined;

  const checkpoints = new Map<CollectOp, OpCheckpoint>();
  const queue: QueueItem[] = [];
  const ncclQueue: QueueItem[] = [];
  const skipped = new Map<CollectOp, number>();
  const existing = new Map<CollectOp, number>();
  if (hello) {
    for (const plan of options.plans) {
      const meta: CheckpointMeta = {
        schema: 1,
        backend: options.backend,
        op: plan.op,
        frameworkVersion: hello.torch,
        device: hello.device ?? 'unknown',
        sm: hello.sm,
        planHash: plan.hash,
        collectorVersion: options.provenance.collectorVersion,
      };
      let checkpoint = options.resume ? OpCheckpoint.load(options.checkpointDir, plan.op) : undefined;
      if (checkpoint) checkpoint.assertCompatible(meta);
      else OpCheckpoint.remove(options.checkpointDir, plan.op);
      checkpoint ??= new OpCheckpoint(options.checkpointDir, plan.op, meta);
      checkpoint.meta = meta;
      if (options.resumeRetryFailed) checkpoint.clearFailed();
      checkpoint.flush(true);
      checkpoints.set(plan.op, checkpoint);
      const inTable = options.skipExisting && output ? existingKeys(output.dir, plan.op) : new Set<string>();
      const spec = OP_REGISTRY[plan.op];
      const todo = plan.cases.filter(
        (c) =>
          !checkpoint.done.has(c.id) &&
          !checkpoint.failed.has(c.id) &&
          !inTable.has(rowKey(spec, caseKeyRow(spec, c.params))),
      );
      existing.set(plan.op, plan.cases.length - todo.length - countFinished(checkpoint, plan));
      skipped.set(plan.op, plan.cases.length - todo.length);
      emit({
        type: 'plan',
        op: plan.op,
        total: plan.cases.length,
        alreadyDone: plan.cases.length - todo.length,
      });
      const target = OP_REGISTRY[plan.op].usesAllGpus ? ncclQueue : queue;
      for (const c of todo) target.push({ c, op: plan.op, attempt: 1 });
    }
  }

  const finish = (item: QueueItem, record: RowRecord | FailureRecord, ok: boolean): void => {
    const checkpoint = checkpoints.get(item.op) as OpCheckpoint;
    if (ok) {
      checkpoint.recordDone(record as RowRecord);
      if (item.firstFailure)
        checkpoint.recordTransient({ ...item.firstFailure, classification: 'transient' });
    } else checkpoint.recordFailed(record as FailureRecord);
    emit({ type: 'case', op: item.op, outcome: ok ? 'done' : 'failed' });
  };

  const runLoop = async (
    gpu: string,
    visible: string,
    items: QueueItem[],
    initial: WorkerProcess | undefined,
  ) => {
    let worker = initial;
    let startFailures = initial ? 0 : 1;
    const maxStartFailures = options.maxStartFailures ?? 3;
    for (;;) {
      // Nothing left for this GPU: never start a worker just to shut it down.
      if (items.length === 0) break;
      if (!worker?.alive) {
        if (startFailures >= maxStartFailures) {
          emit({
            type: 'worker',
            gpu,
            message: `giving up on GPU ${gpu} after ${startFailures} failed starts`,
          });
          return;
        }
        worker = await startWorker(gpu, visible);
        if (!worker) {
          startFailures++;
          continue;
        }
        startFailures = 0;
      }
      if (options.signal?.aborted) break;
      const item = items.shift();
      if (!item) break;
      const spec = OP_REGISTRY[item.op];
      const sent = Date.now();
      const answer = await worker.runCase(
        {
          type: 'run',
          case_id: item.c.id,
          op: item.op,
          params: item.c.params,
          options: { measure_power: options.measurePower },
        },
        options.caseTimeoutS,
      );
      const parentMs = Date.now() - sent;
      stats.parentCaseMs += parentMs;
      stats.cases++;
      const now = new Date().toISOString();
      if (answer.kind === 'result') {
        const r = answer.result;
        stats.timedMs += r.timed_ms ?? 0;
        stats.workerCaseMs += r.case_wall_ms ?? 0;
        // The timing's own warnings (graph capture failed, clock dropped, samples spread) ride in
        // the row's info next to the kernel's, for a later look at suspicious rows.
        const timingInfo = {
          ...(r.graph_error !== undefined ? { graph_error: r.graph_error } : {}),
          ...(r.throttled !== undefined ? { throttled: r.throttled } : {}),
          ...(r.spread !== undefined ? { spread: r.spread } : {}),
        };
        const info = r.info || Object.keys(timingInfo).length ? { ...r.info, ...timingInfo } : undefined;
        const row: RowRecord = {
          id: item.c.id,
          params: { ...item.c.params },
          latencyMs: r.latency_ms,
          kernelSource: r.kernel_source ?? spec.kernelSource(item.c.params),
          opName: spec.opName(item.c.params),
          attempts: item.attempt,
          finishedAt: now,
          parentWallMs: parentMs,
          ...(r.power_w !== undefined ? { powerW: r.power_w } : {}),
          ...(r.power_limit_w !== undefined ? { powerLimitW: r.power_limit_w } : {}),
          ...(r.used_cuda_graph !== undefined ? { usedCudaGraph: r.used_cuda_graph } : {}),
          ...(r.eager_latency_ms !== undefined ? { eagerLatencyMs: r.eager_latency_ms } : {}),
          ...(typeof r.timed_ms === 'number' ? { timedMs: r.timed_ms } : {}),
          ...(r.case_wall_ms !== undefined ? { caseWallMs: r.case_wall_ms } : {}),
          ...(info ? { info } : {}),
        };
        finish(item, row, true);
      } else {
        const failure = classifyAnswer(answer);
        const record: FailureRecord = {
          id: item.c.id,
          params: { ...item.c.params },
          errorType: failure.errorType,
          message: failure.message,
          classification: failure.classification,
          ...(failure.traceback ? { traceback: failure.traceback } : {}),
          attempts: item.attempt,
          finishedAt: now,
        };
        if (failure.workerLost) {
          worker.kill();
          emit({
            type: 'worker',
            gpu,
            message: `worker restarted after ${failure.errorType} (${failure.message})`,
          });
          worker = undefined;
        }
        if (item.attempt === 1 && isRetryable(failure.classification)) {
          // One more try, at the back of the queue and on a fresh or different worker.
          items.push({ ...item, attempt: 2, firstFailure: record });
          emit({ type: 'case', op: item.op, outcome: 'retry' });
        } else finish(item, record, false);
      }
      if (worker && options.recycleAfter && worker.casesRun >= options.recycleAfter) {
        await worker.shutdown();
        worker = undefined;
      }
    }
    await worker?.shutdown();
  };

  if (hello) {
    await Promise.all(options.gpus.map((gpu) => runLoop(gpu, gpu, queue, workers.get(gpu))));
    if (ncclQueue.length > 0) {
      const ids = options.gpus.join(',');
      await runLoop(options.gpus.join('+'), ids, ncclQueue, ncclWorker);
    } else await ncclWorker?.shutdown();
  } else {
    for (const w of workers.values()) w?.kill();
    ncclWorker?.kill();
  }
  // Cases no worker could take (every GPU given up) are failures, not silently dropped; after a
  // stop request they stay unrun, so a --resume picks them up.
  for (const item of options.signal?.aborted ? [] : [...queue, ...ncclQueue]) {
    const checkpoint = checkpoints.get(item.op);
    if (!checkpoint) continue;
    checkpoint.recordFailed({
      id: item.c.id,
      params: { ...item.c.params },
      errorType: 'NoWorker',
      message: 'no worker could be started to run this case',
      classification: 'resource_issue',
      attempts: item.attempt,
      finishedAt: new Date().toISOString(),
    });
  }
  for (const checkpoint of checkpoints.values()) checkpoint.flush(true);

  return packageOutputs(options, hello, output, checkpoints, skipped, existing, startedAt, {
    wallS: (Date.now() - t0) / 1000,
    cases: stats.cases,
    timedS: stats.timedMs / 1000,
    workerCaseS: stats.workerCaseMs / 1000,
    parentCaseS: stats.parentCaseMs / 1000,
    workerStarts: stats.starts,
  });
}

function packageOutputs(
  options: CampaignOptions,
  hello: WorkerHello | undefined,
  output: OutputLocation | undefined,
  checkpoints: Map<CollectOp, OpCheckpoint>,
  skipped: Map<CollectOp, number>,
  existing: Map<CollectOp, number>,
  startedAt: string,
  overhead: OverheadReport,
): CampaignReport {
  if (!hello || !output) {
    const ops: OpReport[] = options.plans.map((p) => ({
      ...summarizeOp(p.op, [], 0, [], 0),
      planned: p.cases.length,
      status: p.cases.length ? 'failed' : 'empty',
      skippedAlreadyDone: 0,
    }));
    return {
      outputDir: undefined,
      system: undefined,
      frameworkVersion: undefined,
      hello,
      ops,
      failedOps: ops.filter((o) => o.status === 'failed').map((o) => o.op as CollectOp),
      summaryPath: undefined,
      overhead,
    };
  }
  const { system, version, dir } = output;
  makeFoldersSync(dir);
  const context = { framework: options.backend, version, device: hello.device ?? 'unknown' };
  const finishedAt = new Date().toISOString();
  const reports: OpReport[] = [];
  const metas: TableMeta[] = [];
  for (const plan of options.plans) {
    const spec = OP_REGISTRY[plan.op];
    const checkpoint = checkpoints.get(plan.op) as OpCheckpoint;
    const planIds = new Set(plan.cases.map((c) => c.id));
    const rows = [...checkpoint.done.values()].filter((r) => planIds.has(r.id));
    const failures = [...checkpoint.failed.values()].filter((f) => planIds.has(f.id));
    // Cases skipped because their row was already in the table count as done for this plan.
    const summary = summarizeOp(
      plan.op,
      plan.cases.map((c) => c.params),
      rows.length + (existing.get(plan.op) ?? 0),
      failures,
      checkpoint.transient.size,
    );
    let tablePath: string | undefined;
    let tableRows: number | undefined;
    if (rows.length > 0) {
      const written = writeTable(
        dir,
        spec,
        rows.map((r) => recordToRow(spec, context, r)),
        { replace: options.replaceTables ?? false },
      );
      tablePath = written.path;
      tableRows = written.rows;
      const graphRows = rows.filter((r) => r.usedCudaGraph && r.eagerLatencyMs !== undefined);
      const launchGaps = graphRows
        .map((r) => (r.eagerLatencyMs as number) - r.latencyMs)
        .sort((a, b) => a - b);
      metas.push({
        table: spec.table,
        file: `${spec.table}_perf.txt`,
        framework: options.backend,
        framework_version: version,
        device: context.device,
        system,
        sm: hello.sm,
        driver: hello.driver ?? null,
        cuda: hello.cuda ?? null,
        torch: hello.torch,
        rows: written.rows,
        status: summary.status === 'complete' ? 'complete' : 'partial',
        kernel_sources: written.kernelSources,
        campaigns: [
          {
            plan_hash: plan.hash,
            planned_cases: plan.cases.length,
            done_cases: rows.length,
            failed_cases: failures.length,
            status: summary.status === 'complete' ? 'complete' : 'partial',
            started_at: checkpointCreated(checkpoint) ?? startedAt,
            finished_at: finishedAt,
            collector_git_sha: options.provenance.gitSha,
            collector_code_hash: options.provenance.codeHash,
            notes: {
              graph_rows: graphRows.length,
              eager_rows: rows.length - graphRows.length,
              median_launch_gap_ms: launchGaps.length
                ? Number((launchGaps[Math.floor(launchGaps.length / 2)] ?? 0).toFixed(5))
                : 0,
              power: options.measurePower ? 'measured' : 'not measured',
              ...backendCounts(rows),
            },
          },
        ],
      });
    }
    // errors_<op>.json always describes the latest campaign of that op: gone once nothing fails.
    const errorsPath = failures.length > 0 ? writeErrorsFile(dir, plan.op, failures) : undefined;
    if (!errorsPath) rmSync(join(dir, `errors_${plan.op}.json`), { force: true });
    reports.push({
      ...summary,
      skippedAlreadyDone: skipped.get(plan.op) ?? 0,
      ...(tablePath ? { tablePath, tableRows } : {}),
      ...(errorsPath ? { errorsPath } : {}),
    });
  }
  if (metas.length > 0) writeCollectionMeta(dir, metas);
  const summaryPath = join(dir, 'collection_summary.json');
  const summary = {
    backend: options.backend,
    system,
    framework_version: version,
    torch: hello.torch,
    device: hello.device,
    sm: hello.sm,
    driver: hello.driver ?? null,
    cuda: hello.cuda ?? null,
    gpus: options.gpus,
    started_at: startedAt,
    finished_at: finishedAt,
    collector_git_sha: options.provenance.gitSha,
    ops: mergeSummaryOps(
      summaryPath,
      reports.map((r) => ({
        op: r.op,
        plan_hash: options.plans.find((p) => p.op === r.op)?.hash ?? '',
        planned: r.planned,
        done: r.done,
        failed: r.failed,
        transient: r.transient,
        status: r.status,
        skipped_already_done: r.skippedAlreadyDone,
        by_class: r.byClass,
        by_error_type: r.byErrorType,
        flagged_groups: r.flaggedGroups,
        finished_at: finishedAt,
      })),
    ),
    overhead: {
      wall_s: round(overhead.wallS),
      cases_run: overhead.cases,
      timed_gpu_s: round(overhead.timedS),
      worker_case_s: round(overhead.workerCaseS),
      parent_case_s: round(overhead.parentCaseS),
      worker_starts: overhead.workerStarts,
    },
  };
  writeFileAtomicSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  // The plan that produced these tables, for `collect shard` / audits.
  writeFileSync(join(options.checkpointDir, 'last-run.json'), JSON.stringify({ dir, finishedAt }));
  return {
    outputDir: dir,
    system,
    frameworkVersion: version,
    hello,
    ops: reports,
    failedOps: reports.filter((r) => r.status === 'failed').map((r) => r.op as CollectOp),
    summaryPath,
    overhead,
  };
}

const round = (v: number): number => Number(v.toFixed(3));

/** A case's key columns as the table writes them (for --skip-existing). */
function caseKeyRow(spec: OpSpec, params: Readonly<Record<string, string | number>>): CsvRow {
  const row: CsvRow = { op_name: spec.opName(params) };
  for (const c of spec.keyColumns) row[c] = String(params[c] ?? '');
  return row;
}

interface OutputLocation {
  readonly system: string;
  readonly version: string;
  /** <out>/<system>/<backend>/<version>: where the tables go (and --skip-existing looks). */
  readonly dir: string;
}

function outputLocation(options: CampaignOptions, hello: WorkerHello): OutputLocation {
  const system = options.system ?? systemForDevice(hello.device ?? 'unknown');
  const version = frameworkVersionLabel(hello.torch);
  return { system, version, dir: join(options.outDir, system, options.backend, version) };
}

function existingKeys(dir: string, op: CollectOp): Set<string> {
  const spec = OP_REGISTRY[op];
  return new Set(readTable(tablePath(dir, spec), spec).map((r) => rowKey(spec, r)));
}

/** Which SDPA backend ran, per row count (e.g. sdpa_cudnn_attention: 627). */
function backendCounts(rows: readonly RowRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const backend = r.info?.['sdpa_backend'];
    if (typeof backend === 'string') out[`sdpa_${backend}`] = (out[`sdpa_${backend}`] ?? 0) + 1;
  }
  return out;
}

function countFinished(checkpoint: OpCheckpoint, plan: OpPlan): number {
  let n = 0;
  for (const c of plan.cases) if (checkpoint.done.has(c.id) || checkpoint.failed.has(c.id)) n++;
  return n;
}

interface SummaryOpEntry {
  readonly op: string;
  readonly plan_hash: string;
}

/** Keep other campaigns' entries (other ops or plans) in collection_summary.json. */
function mergeSummaryOps<T extends SummaryOpEntry>(path: string, fresh: readonly T[]): SummaryOpEntry[] {
  const merged = new Map<string, SummaryOpEntry>();
  if (existsSync(path)) {
    try {
      const previous = JSON.parse(readFileSync(path, 'utf8')) as { ops?: SummaryOpEntry[] };
      for (const e of previous.ops ?? [])
        if (e && typeof e.op === 'string') merged.set(`${e.op}|${e.plan_hash ?? ''}`, e);
    } catch {
      // An unreadable old summary is replaced, not fatal.
    }
  }
  for (const e of fresh) merged.set(`${e.op}|${e.plan_hash}`, e);
  return [...merged.values()];
}

function checkpointCreated(checkpoint: OpCheckpoint): string | undefined {
  let first: string | undefined;
  for (const r of checkpoint.done.values()) if (!first || r.finishedAt < first) first = r.finishedAt;
  return first;
}
