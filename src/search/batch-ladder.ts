// Batch sizes tried per layout: every small value, then coarser steps up to 512.
export const DEFAULT_BATCH_LADDER: readonly number[] = [
  1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 448, 512,
];

/** Prefill workers batch few requests: beyond a handful the step only grows. */
export const DEFAULT_PREFILL_BATCH_LADDER: readonly number[] = [1, 2, 4, 8, 16];

/**
 * Walk the ladder in order and stop at the first size `fits` refuses: memory need grows with the
 * batch, so nothing above it can fit either.
 */
export function feasibleBatches(ladder: readonly number[], fits: (batchSize: number) => boolean): number[] {
  const out: number[] = [];
  for (const batchSize of ladder) {
    if (!fits(batchSize)) break;
    out.push(batchSize);
  }
  return out;
}

/**
 * A worker with attention data parallelism splits its batch over `attentionDp` ranks: climb the
 * ladder per rank, so the worker's batch is the rung times the rank count.
 */
export function ladderForWorker(ladder: readonly number[], attentionDp: number): readonly number[] {
  return attentionDp <= 1 ? ladder : ladder.map((b) => b * attentionDp);
}
