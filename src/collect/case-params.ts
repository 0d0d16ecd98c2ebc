// A case is one op at one shape: plain params keyed like the table's columns, with a stable id.
import { createHash } from 'node:crypto';

export type CaseValue = number | string;
export type CaseParams = Readonly<Record<string, CaseValue>>;

export interface CollectCase {
  /** Stable across runs and machines: a hash of the op and its canonical params (never random). */
  readonly id: string;
  readonly op: string;
  readonly params: CaseParams;
}

export function canonicalJson(params: CaseParams): string {
  const keys = Object.keys(params).sort();
  return JSON.stringify(keys.map((key) => [key, params[key]]));
}

export function caseId(op: string, params: CaseParams): string {
  return createHash('sha256')
    .update(`${op}\n${canonicalJson(params)}`)
    .digest('hex')
    .slice(0, 16);
}

export function makeCase(op: string, params: CaseParams): CollectCase {
  return { id: caseId(op, params), op, params };
}

/** Hash of an ordered case list: what a checkpoint is bound to. */
export function planHash(cases: readonly CollectCase[]): string {
  const hash = createHash('sha256');
  for (const c of cases) hash.update(`${c.id}\n`);
  return hash.digest('hex').slice(0, 16);
}
