// Parallel-layout flags (--tp --pp --dp --moe-tp --moe-ep, with role prefixes for disagg).

import { UsageError } from '../common/index.js';
import type { ModelSpec } from '../models/index.js';
import type { WorkerParallel } from '../serving/index.js';
import { parsePositiveInt } from './deployment-context.js';

export interface ParallelFlagValues {
  readonly tp?: string;
  readonly pp?: string;
  readonly dp?: string;
  readonly moeTp?: string;
  readonly moeEp?: string;
}

/** moe-tp / moe-ep default so that the experts span the attention GPUs (tp * dp). */
export function parallelFromFlags(values: ParallelFlagValues, model: ModelSpec, prefix = ''): WorkerParallel {
  const tp = parsePositiveInt(`--${prefix}tp`, values.tp, 1);
  const pp = parsePositiveInt(`--${prefix}pp`, values.pp, 1);
  const attentionDp = parsePositiveInt(`--${prefix}dp`, values.dp, 1);
  if (!model.moe) {
    const moeFlag = values.moeEp !== undefined ? 'moe-ep' : values.moeTp !== undefined ? 'moe-tp' : undefined;
    if (moeFlag) throw new UsageError(`--${prefix}${moeFlag} applies to MoE models; ${model.id} is dense`);
    return { tp, pp, attentionDp, moeTp: tp, moeEp: 1 };
  }
  const gpus = tp * attentionDp;
  const moeEp = parsePositiveInt(
    `--${prefix}moe-ep`,
    values.moeEp,
    values.moeTp ? Math.max(1, Math.floor(gpus / Number(values.moeTp))) : 1,
  );
  const moeTp = parsePositiveInt(`--${prefix}moe-tp`, values.moeTp, Math.max(1, Math.floor(gpus / moeEp)));
  return { tp, pp, attentionDp, moeTp, moeEp };
}
