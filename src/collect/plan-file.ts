// A case plan saved to a file (`collect --plan-only --save-plan`), so shards of a cluster job
// run exactly the same cases; shard k of N takes every N-th case of each op from position k.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InvalidInputError, UsageError, writeFileAtomicSync } from '../common/index.js';
import { type CollectCase, caseId, planHash } from './case-params.js';
import type { OpPlan } from './case-plan.js';
import { COLLECT_OPS } from './op-registry.js';

const PlanFileSchema = z.object({
  schema: z.literal(1),
  backend: z.string(),
  created_at: z.string(),
  ops: z.array(
    z.object({
      op: z.enum(COLLECT_OPS),
      hash: z.string(),
      cases: z.array(
        z.object({ id: z.string(), params: z.record(z.string(), z.union([z.number(), z.string()])) }),
      ),
    }),
  ),
});

export function savePlanFile(path: string, backend: string, plans: readonly OpPlan[]): void {
  const body = {
    schema: 1,
    backend,
    created_at: new Date().toISOString(),
    ops: plans.map((p) => ({
      op: p.op,
      hash: p.hash,
      cases: p.cases.map((c) => ({ id: c.id, params: c.params })),
    })),
  };
  writeFileAtomicSync(path, `${JSON.stringify(body)}\n`);
}

// JSON.parse quotes the offending text, newlines included: the message must stay one line.
const oneLine = (error: unknown): string => (error as Error).message.replace(/\s+/g, ' ');

/** `flag` is how the user named the file (`--plan-file` to run it, `--plan` for `collect shard`). */
export function loadPlanFile(path: string, flag = '--plan-file'): { backend: string; plans: OpPlan[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError(
      code === 'ENOENT'
        ? `${flag} ${path}: no such file; save a plan with collect --plan-only --save-plan FILE`
        : code === 'EISDIR'
          ? `${flag} ${path}: is a folder; pass the plan file saved by --save-plan`
          : `${flag} ${path}: cannot read (${code ?? oneLine(error)})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${flag} ${path}: cannot read a JSON plan (${oneLine(error)})`);
  }
  const parsed = PlanFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new InvalidInputError(
      `${flag} ${path}: not an inferplan plan (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
    );
  const plans = parsed.data.ops.map((entry) => {
    const cases: CollectCase[] = entry.cases.map((c) => {
      // Ids are recomputed, so an edited or corrupted plan cannot alias other cases' results.
      if (caseId(entry.op, c.params) !== c.id)
        throw new InvalidInputError(`${flag} ${path}: case ${c.id} of ${entry.op} does not match its params`);
      return { id: c.id, op: entry.op, params: c.params };
    });
    return { op: entry.op, cases, hash: planHash(cases) };
  });
  return { backend: parsed.data.backend, plans };
}

/** Shard `index` of `count`: every count-th case of each op, starting at position index. */
export function shardPlans(plans: readonly OpPlan[], index: number, count: number): OpPlan[] {
  if (!(Number.isInteger(count) && count >= 1))
    throw new UsageError(`--shards must be an integer >= 1, got ${count}`);
  if (!(Number.isInteger(index) && index >= 0 && index < count))
    throw new UsageError(`--shard-index must be in 0..${count - 1}, got ${index}`);
  return plans.map((p) => {
    const cases = p.cases.filter((_, i) => i % count === index);
    return { op: p.op, cases, hash: planHash(cases) };
  });
}
