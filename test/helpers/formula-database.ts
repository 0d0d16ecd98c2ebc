// A PerfDatabase whose answers follow simple closed-form rules, so serving maths can be checked
// by hand. A test double for unit tests of the engine and serving layers only.
import type { OpLatency, OpQuery, PerfDatabase } from '../../src/perfdb/index.js';

export interface FormulaRates {
  /** ms per GEMM FLOP (2mnk). */
  readonly msPerGemmFlop: number;
  /** Fixed ms per op call. */
  readonly fixedMs: number;
}

const DEFAULT_RATES: FormulaRates = { msPerGemmFlop: 1e-12, fixedMs: 0.01 };

function costMs(op: OpQuery, rates: FormulaRates): number {
  switch (op.kind) {
    case 'gemm':
      return rates.fixedMs + 2 * op.m * op.n * op.k * rates.msPerGemmFlop;
    case 'context_attention':
      return (
        rates.fixedMs + op.batchSize * op.isl * (op.isl + 2 * op.prefix) * op.numHeads * op.headDim * 2e-12
      );
    case 'generation_attention':
      return rates.fixedMs + op.batchSize * op.kvLen * op.numKvHeads * op.headDim * 1e-9;
    case 'context_mla':
      return rates.fixedMs + op.batchSize * op.isl * (op.isl + 2 * op.prefix) * op.numHeads * 1e-10;
    case 'generation_mla':
      return rates.fixedMs + op.batchSize * op.kvLen * 1e-8;
    case 'mla_bmm':
      return rates.fixedMs + op.numTokens * op.numHeads * 1e-7;
    case 'moe':
      return (
        rates.fixedMs +
        (op.numTokens * op.topk * op.hiddenSize * op.interSize * 6 * rates.msPerGemmFlop) /
          (op.moeTp * op.moeEp)
      );
    case 'comm':
      return op.numGpus <= 1 ? 0 : rates.fixedMs + op.messageElements * 1e-9;
    case 'elementwise':
      return rates.fixedMs + op.numTokens * op.width * 1e-11;
  }
}

export function formulaDatabase(rates: Partial<FormulaRates> = {}): PerfDatabase & { calls: number } {
  const r = { ...DEFAULT_RATES, ...rates };
  const db = {
    systemName: 'h200_sxm',
    backend: 'torch',
    version: 'formula',
    mode: 'silicon' as const,
    calls: 0,
    query(op: OpQuery): OpLatency {
      db.calls++;
      const latencyMs = costMs(op, r);
      return { latencyMs, solMs: latencyMs * 0.5, provenance: 'measured', source: 'formula' };
    },
    hasTable: () => true,
  };
  return db;
}
