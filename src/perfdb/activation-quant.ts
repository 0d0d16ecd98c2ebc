// The per-call cost of quantising a GEMM's activation, as a GEMM table of a quantised format
// carries it. Such a table times "quantise x, then multiply"; an engine that quantises inside the
// preceding norm pays only the multiply. At the table's smallest m a GEMM only streams its weights,
// so the quantised call should cost r times the bf16 one (r = its weight bytes over bf16's) plus
// the same kernel start-up; what it costs beyond that is the quantisation. TensorRT-LLM's FP8
// tables show it as a constant 10-13 us at every shape (FP8 = bf16 / 2 + ~12 us on the H100, from
// a 2.6 us GEMM to an 800 MB one), its FP8-block tables as none.
import type { PerfTable } from './perf-table.js';

/**
 * Median over the (n, k) sites measured in both formats at the smallest m they share of
 * `quantised - r * reference`, less the part of the reference's start-up cost that scaling by r
 * removed ((1 - r) x the reference's fastest call there). 0 when the table lacks either format.
 */
export function activationQuantMs(
  table: PerfTable,
  dtype: string,
  referenceDtype: string,
  bytesRatio: number,
): number {
  const dtypes = table.strings.get('gemm_dtype');
  const m = table.numbers.get('m');
  const n = table.numbers.get('n');
  const k = table.numbers.get('k');
  const latency = table.numbers.get('latency');
  if (!dtypes || !m || !n || !k || !latency) return 0;
  const quantCode = dtypes.dict.indexOf(dtype);
  const refCode = dtypes.dict.indexOf(referenceDtype);
  if (quantCode < 0 || refCode < 0) return 0;
  // Smallest m each format was measured at; the shared one is the larger of the two.
  let quantMinM = Number.POSITIVE_INFINITY;
  let refMinM = Number.POSITIVE_INFINITY;
  for (let row = 0; row < table.rowCount; row++) {
    const code = dtypes.codes[row];
    if (code === quantCode) quantMinM = Math.min(quantMinM, m[row]!);
    else if (code === refCode) refMinM = Math.min(refMinM, m[row]!);
  }
  const m0 = Math.max(quantMinM, refMinM);
  if (!Number.isFinite(m0)) return 0;
  const site = (row: number) => n[row]! * 4_294_967_296 + k[row]!;
  const reference = new Map<number, number>();
  for (let row = 0; row < table.rowCount; row++)
    if (dtypes.codes[row] === refCode && m[row] === m0 && latency[row]! > 0)
      reference.set(site(row), latency[row]!);
  const excess: number[] = [];
  let fastestReference = Number.POSITIVE_INFINITY;
  for (let row = 0; row < table.rowCount; row++) {
    if (dtypes.codes[row] !== quantCode || m[row] !== m0 || !(latency[row]! > 0)) continue;
    const ref = reference.get(site(row));
    if (ref === undefined) continue;
    excess.push(latency[row]! - bytesRatio * ref);
    fastestReference = Math.min(fastestReference, ref);
  }
  if (excess.length === 0) return 0;
  excess.sort((a, b) => a - b);
  const median = excess[excess.length >> 1]!;
  return Math.max(0, median - (1 - bytesRatio) * fastestReference);
}
