// Per-op checkpoints: the metadata a resume must match, the finished rows and the failures.
// A journal line is appended for every finished case (cheap, survives kill -9); the checkpoint
// itself is rewritten atomically at most every few seconds, after which the journal restarts.
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidInputError, UsageError, writeFileAtomicSync } from '../common/index.js';
import { FAILURE_CLASSES } from './worker-protocol.js';

export const CHECKPOINT_SCHEMA_VERSION = 1;

const ValueSchema = z.union([z.number(), z.string()]);

export const RowRecordSchema = z.object({
  id: z.string(),
  params: z.record(z.string(), ValueSchema),
  latencyMs: z.number(),
  kernelSource: z.string(),
  opName: z.string(),
  powerW: z.number().optional(),
  powerLimitW: z.number().optional(),
  usedCudaGraph: z.boolean().optional(),
  eagerLatencyMs: z.number().optional(),
  timedMs: z.number().optional(),
  caseWallMs: z.number().optional(),
  parentWallMs: z.number().optional(),
  info: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  attempts: z.number().int(),
  finishedAt: z.string(),
});
export type RowRecord = z.infer<typeof RowRecordSchema>;

export const FailureRecordSchema = z.object({
  id: z.string(),
  params: z.record(z.string(), ValueSchema),
  errorType: z.string(),
  message: z.string(),
  classification: z.enum(FAILURE_CLASSES),
  traceback: z.string().optional(),
  attempts: z.number().int(),
  finishedAt: z.string(),
});
export type FailureRecord = z.infer<typeof FailureRecordSchema>;

export const CheckpointMetaSchema = z.object({
  schema: z.literal(CHECKPOINT_SCHEMA_VERSION),
  backend: z.string(),
  op: z.string(),
  frameworkVersion: z.string(),
  device: z.string(),
  sm: z.number().int().nullable(),
  planHash: z.string(),
  collectorVersion: z.string(),
});
export type CheckpointMeta = z.infer<typeof CheckpointMetaSchema>;

const CheckpointFileSchema = z.object({
  meta: CheckpointMetaSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  done: z.record(z.string(), RowRecordSchema),
  failed: z.record(z.string(), FailureRecordSchema),
  /** Cases that failed once and passed on retry. */
  transient: z.record(z.string(), FailureRecordSchema).default({}),
});

const JournalLineSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('done'), row: RowRecordSchema }),
  z.object({ t: z.literal('failed'), failure: FailureRecordSchema }),
  z.object({ t: z.literal('transient'), failure: FailureRecordSchema }),
]);

export class OpCheckpoint {
  readonly done = new Map<string, RowRecord>();
  readonly failed = new Map<string, FailureRecord>();
  readonly transient = new Map<string, FailureRecord>();
  private lastFlush = 0;
  private unflushed = 0;
  private createdAt = new Date().toISOString();

  constructor(
    readonly dir: string,
    readonly op: string,
    public meta: CheckpointMeta | undefined,
    private readonly flushEveryMs = 3000,
  ) {}

  get path(): string {
    return join(this.dir, `${this.op}.checkpoint.json`);
  }

  get journalPath(): string {
    return join(this.dir, `${this.op}.journal.jsonl`);
  }

  /** Load a checkpoint and replay its journal (a torn last journal line is ignored). */
  static load(dir: string, op: string): OpCheckpoint | undefined {
    const checkpoint = new OpCheckpoint(dir, op, undefined);
    const hasFile = existsSync(checkpoint.path);
    const hasJournal = existsSync(checkpoint.journalPath);
    if (!hasFile && !hasJournal) return undefined;
    if (hasFile) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(checkpoint.path, 'utf8'));
      } catch (error) {
        throw new InvalidInputError(
          `${checkpoint.path}: not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')}); delete it to start over`,
        );
      }
      const parsed = CheckpointFileSchema.safeParse(raw);
      if (!parsed.success)
        throw new InvalidInputError(
          `${checkpoint.path}: not an inferplan checkpoint (${parsed.error.issues[0]?.message})`,
        );
      checkpoint.meta = parsed.data.meta;
      checkpoint.createdAt = parsed.data.createdAt;
      for (const [id, row] of Object.entries(parsed.data.done)) checkpoint.done.set(id, row);
      for (const [id, f] of Object.entries(parsed.data.failed)) checkpoint.failed.set(id, f);
      for (const [id, f] of Object.entries(parsed.data.transient)) checkpoint.transient.set(id, f);
    }
    if (hasJournal) {
      for (const line of readFileSync(checkpoint.journalPath, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          continue; // torn write from a kill -9: the case simply runs again
        }
        const parsed = JournalLineSchema.safeParse(raw);
        if (!parsed.success) continue;
        const entry = parsed.data;
        if (entry.t === 'done') checkpoint.applyDone(entry.row);
        else if (entry.t === 'failed') checkpoint.applyFailed(entry.failure);
        else checkpoint.transient.set(entry.failure.id, entry.failure);
      }
    }
    return checkpoint;
  }

  /** Refuse to resume a checkpoint made by another backend, version, device or plan. */
  assertCompatible(expected: CheckpointMeta): void {
    const meta = this.meta;
    if (!meta) return;
    const fields: Array<keyof CheckpointMeta> = [
      'backend',
      'op',
      'frameworkVersion',
      'device',
      'sm',
      'planHash',
    ];
    for (const field of fields)
      if (meta[field] !== expected[field])
        throw new UsageError(
          `${this.path}: checkpoint ${field} is '${meta[field]}' but this run has '${expected[field]}'; ` +
            'rerun with the same ops and flags, or use another --checkpoint-dir (or drop --resume to start over)',
        );
  }

  private applyDone(row: RowRecord): void {
    this.done.set(row.id, row);
    this.failed.delete(row.id);
  }

  private applyFailed(failure: FailureRecord): void {
    if (!this.done.has(failure.id)) this.failed.set(failure.id, failure);
  }

  recordDone(row: RowRecord): void {
    this.applyDone(row);
    this.journal({ t: 'done', row });
  }

  recordFailed(failure: FailureRecord): void {
    this.applyFailed(failure);
    this.journal({ t: 'failed', failure });
  }

  recordTransient(failure: FailureRecord): void {
    this.transient.set(failure.id, failure);
    this.journal({ t: 'transient', failure });
  }

  /** Forget failures so --resume-retry-failed runs them again. */
  clearFailed(): number {
    const count = this.failed.size;
    this.failed.clear();
    this.flush(true);
    return count;
  }

  private journal(entry: unknown): void {
    appendFileSync(this.journalPath, `${JSON.stringify(entry)}\n`);
    this.unflushed++;
    this.flush(false);
  }

  /** Rewrite the checkpoint atomically (throttled unless forced), then restart the journal. */
  flush(force: boolean): void {
    const now = Date.now();
    if (!force && (this.unflushed === 0 || now - this.lastFlush < this.flushEveryMs)) return;
    if (!this.meta) return;
    const body = {
      meta: this.meta,
      createdAt: this.createdAt,
      updatedAt: new Date().toISOString(),
      done: Object.fromEntries(this.done),
      failed: Object.fromEntries(this.failed),
      transient: Object.fromEntries(this.transient),
    };
    writeFileAtomicSync(this.path, JSON.stringify(body));
    // Everything in the journal is now in the checkpoint; replaying it again would be harmless.
    rmSync(this.journalPath, { force: true });
    this.lastFlush = now;
    this.unflushed = 0;
  }

  static remove(dir: string, op: string): void {
    const c = new OpCheckpoint(dir, op, undefined);
    rmSync(c.path, { force: true });
    rmSync(c.journalPath, { force: true });
  }
}
