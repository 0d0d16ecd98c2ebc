// Failure classification and the reports written beside the tables: errors_<op>.json (one
// entry per failed case) and collection_summary.json (counts by op, class, error type, group).
import { join } from 'node:path';
import { writeFileAtomicSync } from '../common/index.js';
import type { FailureRecord } from './checkpoint.js';
import type { CaseAnswer } from './worker-process.js';
import type { FailureClass } from './worker-protocol.js';

/** Classes worth one more try: the same case may pass on a fresh worker. */
export function isRetryable(classification: FailureClass): boolean {
  return classification !== 'unsupported_config' && classification !== 'collector_bug';
}

export interface ClassifiedFailure {
  readonly errorType: string;
  readonly message: string;
  readonly classification: FailureClass;
  readonly traceback?: string;
  /** The worker is gone (crash, timeout kill, fatal CUDA error): start a new one. */
  readonly workerLost: boolean;
}

export function classifyAnswer(answer: Exclude<CaseAnswer, { kind: 'result' }>): ClassifiedFailure {
  switch (answer.kind) {
    case 'error':
      return {
        errorType: answer.error.error_type,
        message: answer.error.message,
        classification:
          answer.error.classification ?? (answer.error.fatal ? 'framework_bug' : 'collector_bug'),
        ...(answer.error.traceback ? { traceback: answer.error.traceback } : {}),
        workerLost: answer.error.fatal,
      };
    case 'timeout':
      return {
        errorType: 'CaseTimeout',
        message: `no answer within ${answer.timeoutS} s; the worker was killed`,
        classification: 'resource_issue',
        workerLost: true,
      };
    case 'exited':
      return {
        errorType: 'WorkerCrashed',
        message: `worker died while running the case (${answer.signal ? `signal ${answer.signal}` : `exit code ${answer.code}`})`,
        classification: 'framework_bug',
        workerLost: true,
      };
  }
}

/** A group is a case's params minus its size axes, e.g. a gemm (n, k) site or a model's heads. */
const SIZE_AXES = new Set(['m', 'num_tokens', 'batch_size', 'isl', 'step', 'message_size']);
export function failureGroup(op: string, params: Readonly<Record<string, string | number>>): string {
  const parts = Object.keys(params)
    .sort()
    .filter((k) => !SIZE_AXES.has(k))
    .map((k) => `${k}=${params[k]}`);
  return `${op}:${parts.join(',')}`;
}

export interface OpSummary {
  readonly op: string;
  readonly planned: number;
  readonly done: number;
  readonly failed: number;
  readonly transient: number;
  readonly status: 'complete' | 'partial' | 'failed' | 'empty';
  readonly byClass: Readonly<Record<string, number>>;
  readonly byErrorType: Readonly<Record<string, number>>;
  /** Groups where at least half of the cases (and at least 3) failed. */
  readonly flaggedGroups: readonly { group: string; failed: number; planned: number }[];
}

export function summarizeOp(
  op: string,
  plannedParams: readonly Readonly<Record<string, string | number>>[],
  done: number,
  failures: readonly FailureRecord[],
  transient: number,
): OpSummary {
  const byClass: Record<string, number> = {};
  const byErrorType: Record<string, number> = {};
  const failedByGroup = new Map<string, number>();
  for (const f of failures) {
    byClass[f.classification] = (byClass[f.classification] ?? 0) + 1;
    byErrorType[f.errorType] = (byErrorType[f.errorType] ?? 0) + 1;
    const g = failureGroup(op, f.params);
    failedByGroup.set(g, (failedByGroup.get(g) ?? 0) + 1);
  }
  const plannedByGroup = new Map<string, number>();
  for (const p of plannedParams) {
    const g = failureGroup(op, p);
    plannedByGroup.set(g, (plannedByGroup.get(g) ?? 0) + 1);
  }
  const flaggedGroups = [...failedByGroup]
    .map(([group, failed]) => ({ group, failed, planned: plannedByGroup.get(group) ?? failed }))
    .filter((g) => g.failed >= 3 && g.failed * 2 >= g.planned)
    .sort((a, b) => b.failed - a.failed);
  const planned = plannedParams.length;
  const status =
    planned === 0
      ? 'empty'
      : done === 0
        ? 'failed'
        : done + failures.length >= planned && failures.length === 0
          ? 'complete'
          : 'partial';
  return {
    op,
    planned,
    done,
    failed: failures.length,
    transient,
    status,
    byClass,
    byErrorType,
    flaggedGroups,
  };
}

export function writeErrorsFile(dir: string, op: string, failures: readonly FailureRecord[]): string {
  const path = join(dir, `errors_${op}.json`);
  const entries = [...failures]
    .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt))
    .map((f) => ({
      case_id: f.id,
      params: f.params,
      error_type: f.errorType,
      classification: f.classification,
      message: f.message,
      traceback: f.traceback ?? null,
      attempts: f.attempts,
      timestamp: f.finishedAt,
    }));
  writeFileAtomicSync(path, `${JSON.stringify({ op, failures: entries }, null, 2)}\n`);
  return path;
}
